"""`leadloop import touches FILE.csv`: history and backfills through the live intake's path.

Rows are read, validated and captured 500 at a time (one transaction each, the bulk intake's
statement); a row that cannot be taken — a bad field, NUL, bytes that are not UTF-8, or one the
database refuses — is listed by its line and the chunk's good rows are kept.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, get_args
from uuid import uuid4

import typer
from pydantic import ValidationError
from rich.console import Console

from capture.api.models import LeadCreate
from capture.intake import Answer, IdempotencyClaim, Intake, accept_all
from capture.settings import CaptureSettings
from lead_schemas import TouchType
from leadkit.bounds import value_problems
from leadkit.db import Pool, create_pool
from leadkit.idempotency import request_hash
from leadkit.infrastructure import is_infrastructure_error
from leadkit.progress_bar import import_progress

console = Console()
TOUCH_TYPES: tuple[str, ...] = get_args(TouchType)


def _now() -> datetime:
    return datetime.now(UTC)


def import_touches(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
    source: Annotated[str | None, typer.Option(help="utm_source for rows without one")] = None,
) -> None:
    """Import leads and touches (history, backfills). Columns are the JSON API's field names, plus
    `type` (touch type) and `external_id` (makes re-importing the file harmless). Each row goes
    through the same validation and dedupe as a live submission; `occurred_at` keeps its time."""
    # bytes that are not UTF-8 come through as lone surrogates, and refuse their row (not the file)
    with file.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        rows = list(csv.DictReader(handle))

    async def work() -> tuple[int, int, list[str]]:
        imported = repeated = 0
        problems: list[str] = []
        pool = await create_pool(CaptureSettings().database_url, size=1)
        try:
            with import_progress(console) as progress:
                task = progress.add_task("rows", total=len(rows))
                # the bulk intake's path: one transaction, and one statement for the new people, per chunk
                for start in range(0, len(rows), IMPORT_CHUNK):
                    intakes: list[tuple[int, Intake]] = []
                    for line, row in enumerate(rows[start : start + IMPORT_CHUNK], start=start + 2):
                        intake = _import_intake(row, source)
                        if isinstance(intake, str):
                            problems.append(f"line {line}: {intake}")
                        else:
                            intakes.append((line, intake))
                    # another process's relay publishes what this writes: it is woken by NOTIFY
                    answers = await _accept_chunk(pool, intakes, problems)
                    repeated += sum(answer.replayed for answer in answers)
                    imported += sum(not answer.replayed for answer in answers)
                    progress.advance(task, min(IMPORT_CHUNK, len(rows) - start))
        finally:
            await pool.close()
        return imported, repeated, problems

    imported, repeated, problems = asyncio.run(work())
    console.print(f"{imported} imported, {repeated} already imported, {len(problems)} refused")
    for problem in problems[:50]:
        console.print(f"  {problem}", markup=False)
    if problems:
        raise typer.Exit(code=1)


IMPORT_CHUNK = 500


async def _accept_chunk(pool: Pool, intakes: list[tuple[int, Intake]], problems: list[str]) -> list[Answer]:
    """A chunk in one transaction; should the database refuse it, row by row, so one row it cannot
    take costs only itself (its line is listed) and the good rows of the chunk are kept."""
    if not intakes:
        return []
    try:
        return await accept_all(pool, [intake for _, intake in intakes], now=_now(), notify=True)
    except Exception as error:
        if is_infrastructure_error(error):
            raise
    answers: list[Answer] = []
    for line, intake in intakes:
        try:
            answers += await accept_all(pool, [intake], now=_now(), notify=True)
        except Exception as error:
            if is_infrastructure_error(error):
                raise
            problems.append(f"line {line}: not stored ({type(error).__name__})")
    return answers


def _import_intake(row: dict[str, Any], source: str | None) -> Intake | str:
    """The row as an intake, or why it is refused."""
    cleaned = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
    unstorable = value_problems(cleaned)
    if unstorable:
        return "; ".join(f"{'.'.join(map(str, p.loc)) or 'row'}: {p.msg}" for p in unstorable)
    touch_type = cleaned.pop("type", "import")
    external_id = cleaned.pop("external_id", None)
    if touch_type not in TOUCH_TYPES:
        return f"type must be one of {', '.join(TOUCH_TYPES)}"
    try:
        lead = LeadCreate.model_validate(cleaned)
    except ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors())
    claim = None
    if external_id:
        claim = IdempotencyClaim(
            scope="import",
            key=external_id,
            fingerprint=request_hash(external_id.encode()),
            ttl=timedelta(days=3650),
        )
    submission = lead.to_submission(
        via="import", touch_type=touch_type, default_source=source, external_id=external_id
    )
    return Intake(submission, correlation_id=uuid4(), idempotency=claim)
