"""`leadloop scoring …`: the scoring model's versions, and what outcomes taught, from a shell
(mounted by the `leadloop` CLI)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leadkit.consumer import utc_now
from leadkit.db import Connection, create_pool
from leadkit.policy_cli import policy_cli
from scoring.db.rescore_jobs import job_progress, latest_job
from scoring.fitting import fit_now
from scoring.fitting import insights as report
from scoring.handlers import Scoring
from scoring.parts import scoring_parts
from scoring.settings import ScoringSettings
from scoring.workers import rescore_batch

app = typer.Typer(help="scoring: the lead scoring model", no_args_is_help=True)
console = Console()


def _scoring() -> Scoring:
    return scoring_parts(ScoringSettings().rules_file)


async def follow_rescore(conn: Connection, version: int) -> None:
    """Re-score with a progress bar: this process works the job's batches itself, beside any
    scoring instance that claims them too (the job row serializes them)."""
    job_id = await latest_job(conn, version)
    if job_id is None:
        return
    scoring = _scoring()
    batch = ScoringSettings().rescore_batch_size
    with Progress(
        TextColumn("re-scoring under version {task.fields[version]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[changed]} changed"),
        TimeElapsedColumn(),
    ) as progress:
        job = await job_progress(conn, job_id)
        task = progress.add_task("rescore", total=job.total, version=version, changed=0)
        while job.finished_at is None:
            if await rescore_batch(conn, scoring, now=utc_now(), batch=batch, notify=True) is None:
                await asyncio.sleep(0.2)  # a scoring instance holds the job for its batch
            job = await job_progress(conn, job_id)
            progress.update(task, completed=job.done, total=max(job.total, job.done), changed=job.changed)
    typer.echo(f"re-scored {job.done} leads; {job.changed} changed grade, level or qualification")


app.add_typer(
    policy_cli(
        _scoring().models,
        database_url=lambda: ScoringSettings().database_url,
        noun="model",
        follow_activation=follow_rescore,
    ),
    name="models",
)


@app.command()
def insights(
    fit: Annotated[bool, typer.Option("--fit", help="fit the classifier on the outcomes first")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON, as the API gives it")] = False,
) -> None:
    """What sales' outcomes say: rules they contradict, calibration by band and grade, the classifier."""
    settings = ScoringSettings()
    scoring = _scoring()

    async def main() -> dict[str, Any]:
        pool = await create_pool(settings.database_url, size=1)
        try:
            if fit:
                result = await fit_now(
                    pool,
                    scoring,
                    now=utc_now(),
                    min_leads=settings.learning_min_leads,
                    min_conversions=settings.learning_min_conversions,
                )
                console.print(result.message)
            async with pool.acquire() as conn:
                return await report(
                    conn,
                    scoring,
                    min_leads=settings.learning_min_leads,
                    min_conversions=settings.learning_min_conversions,
                    min_rule_outcomes=settings.insights_min_rule_outcomes,
                )
        finally:
            await pool.close()

    found = asyncio.run(main())
    if as_json:
        print(json.dumps(found, indent=2))  # noqa: T201 - the report is the output
        return
    outcomes = found["outcomes"]
    console.print(
        f"{outcomes['leads']} leads with an outcome: {outcomes['reached_sql']} reached SQL, "
        f"{outcomes['won']} won"
    )
    console.print(f"classifier: {found['predictor']['message']}")
    if found["contradicted_rules"]:
        console.print("[bold]rules the outcomes contradict[/bold]")
        for contradiction in found["contradicted_rules"]:
            console.print(f"  • {contradiction['line']}")
    else:
        console.print("no rule is contradicted by the outcomes")
    for title, cells in (
        ("by score band", found["calibration"]["by_score_band"]),
        ("by grade", found["calibration"]["by_grade"]),
    ):
        table = Table(title, "leads", "SQL rate", "win rate", "predicted SQL", title=f"calibration {title}")
        for cell in cells:
            predicted = cell["predicted_sql"]
            table.add_row(
                cell["key"],
                str(cell["leads"]),
                f"{cell['sql_rate']:.0%}",
                f"{cell['win_rate']:.0%}",
                "" if predicted is None else f"{predicted:.0%}",
            )
        console.print(table)
