"""`leadloop import outcomes FILE.csv`: a CRM's history of sales steps, through the same validation
and state machine as the progress API.

Columns: `lead_id` or `email`, `stage`, `reason`, `amount`, `currency`, `occurred_at`, and
optionally `detail`, `channel`, `force`. A lead's rows are applied in time order. Each row is
remembered by its content, so importing the same file again changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from leadkit.bounds import value_problems
from leadkit.db import Connection, create_pool
from leadkit.idempotency import claim_key, release_key, remember
from leadkit.messaging import outboxed_transaction
from leadkit.progress_bar import import_progress
from sla_monitor.api.models import ProgressCreate
from sla_monitor.db.leads import lead_by_email_hash
from sla_monitor.domain.stages import ImpossibleStep
from sla_monitor.handlers import email_hash
from sla_monitor.parts import sla_parts
from sla_monitor.progress import CadenceNotDone, StepBeforeCapture, UnknownLead, report_progress
from sla_monitor.settings import SlaMonitorSettings

CHUNK = 500  # rows per transaction
REMEMBERED = timedelta(days=3650)  # an imported row is recognised for ten years
_FIELDS = ("stage", "reason", "amount", "currency", "occurred_at", "detail", "channel", "force")
console = Console()


@dataclass(frozen=True)
class OutcomeRow:
    line: int
    lead_id: UUID | None
    email: str | None
    report: ProgressCreate
    fingerprint: str


Resolved = tuple[UUID, OutcomeRow]


@dataclass
class ImportResult:
    imported: int = 0
    repeated: int = 0
    refused: list[str] = field(default_factory=list)


def parse_row(line: int, row: dict[str, str]) -> OutcomeRow | str:
    """A row as a validated step, or why it is refused."""
    values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
    unstorable = value_problems(values)
    if unstorable:
        return "; ".join(f"{'.'.join(map(str, p.loc)) or 'row'}: {p.msg}" for p in unstorable)
    lead_text, email = values.get("lead_id", ""), values.get("email", "")
    if not lead_text and not email:
        return "give lead_id or email"
    lead_id = None
    if lead_text:
        try:
            lead_id = UUID(lead_text)
        except ValueError:
            return f"lead_id {lead_text!r} is not a UUID"
    given = {name: values[name] for name in _FIELDS if values.get(name)}
    if "force" in given:
        given["force"] = given["force"].lower() in ("1", "true", "yes")  # type: ignore[assignment]
    try:
        report = ProgressCreate.model_validate(given)
    except ValidationError as error:
        return "; ".join(_problem(e["loc"], e["msg"]) for e in error.errors())
    fingerprint = hashlib.sha256(json.dumps([lead_text, email.lower(), given], sort_keys=True).encode())
    return OutcomeRow(line, lead_id, email or None, report, fingerprint.hexdigest())


def _problem(location: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, location))}: {message}" if location else message


async def _lead_of(conn: Connection, row: OutcomeRow) -> UUID | None:
    if row.lead_id is not None:
        return row.lead_id
    hashed = email_hash(row.email or "")
    return None if hashed is None else await lead_by_email_hash(conn, hashed)


async def _in_time_order(conn: Connection, rows: list[OutcomeRow], result: ImportResult) -> list[Resolved]:
    """Each row with its lead, every lead's rows in the order they happened, however the file
    names the lead (by id on one row, by email on another); rows without a time come last, in the
    file's order."""
    resolved: list[Resolved] = []
    for row in rows:
        lead_id = await _lead_of(conn, row)
        if lead_id is None:
            result.refused.append(f"line {row.line}: no lead with that email has been captured")
        else:
            resolved.append((lead_id, row))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(resolved, key=lambda pair: (str(pair[0]), pair[1].report.occurred_at or far, pair[1].line))


async def _apply(conn: Connection, rows: list[OutcomeRow], result: ImportResult, progress: Progress) -> None:
    parts = sla_parts(SlaMonitorSettings().policy_file)
    ordered = await _in_time_order(conn, rows, result)
    task = progress.add_task("rows", total=len(ordered))
    for start in range(0, len(ordered), CHUNK):
        async with outboxed_transaction(conn, notify=True) as outbox:
            for lead_id, row in ordered[start : start + CHUNK]:
                progress.advance(task)
                now = datetime.now(UTC)
                scope = f"import-outcome:{lead_id}"
                replay = await claim_key(
                    conn,
                    scope=scope,
                    key=row.fingerprint,
                    fingerprint=row.fingerprint,
                    now=now,
                    ttl=REMEMBERED,
                )
                if replay is not None:
                    result.repeated += 1
                    continue
                try:
                    await report_progress(
                        conn, lead_id, row.report.step(), parts=parts, outbox=outbox, now=now, via="import"
                    )
                except UnknownLead:
                    why = f"no lead {lead_id} has been captured"
                except (ImpossibleStep, CadenceNotDone, StepBeforeCapture) as error:
                    why = str(error)
                else:
                    await remember(conn, scope=scope, key=row.fingerprint, status_code=202, body={})
                    result.imported += 1
                    continue
                # a refused row must not stay claimed: the same row, fixed, may be imported later
                await release_key(conn, scope=scope, key=row.fingerprint)
                result.refused.append(f"line {row.line}: {why}")


def import_outcomes(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
) -> None:
    """Import a CRM's sales outcomes (lead_id or email, stage, reason, amount, currency, occurred_at)
    through the progress API's validation; rows refused are listed with why."""
    # bytes that are not UTF-8 come through as lone surrogates, and refuse their row (not the file)
    with file.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        lines = list(csv.DictReader(handle))
    result = ImportResult()
    rows: list[OutcomeRow] = []
    for line, raw in enumerate(lines, start=2):
        parsed = parse_row(line, raw)
        if isinstance(parsed, str):
            result.refused.append(f"line {line}: {parsed}")
        else:
            rows.append(parsed)

    async def work() -> None:
        pool = await create_pool(SlaMonitorSettings().database_url, size=1)
        try:
            with import_progress(console) as progress:
                async with pool.acquire() as conn:
                    await _apply(conn, rows, result, progress)
        finally:
            await pool.close()

    asyncio.run(work())
    console.print(
        f"imported {result.imported}, already imported {result.repeated}, refused {len(result.refused)}"
    )
    for problem in sorted(result.refused, key=lambda p: int(p.split(":")[0].split()[1])):
        console.print(f"  {problem}", markup=False, soft_wrap=True)
    if result.refused:
        raise typer.Exit(1)
