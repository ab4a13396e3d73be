"""`leadloop scoring …`: the scoring model's versions, and what outcomes taught, from a shell
(mounted by the `leadloop` CLI)."""

from __future__ import annotations

import asyncio

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leadkit.consumer import utc_now
from leadkit.db import Connection
from leadkit.policies import PolicyStore
from leadkit.policy_cli import policy_cli
from scoring.domain.model import rule_models
from scoring.handlers import Scoring
from scoring.predictors import Predictors
from scoring.rescore import job_progress, latest_job, rescore_batch, start_rescore
from scoring.settings import ScoringSettings

app = typer.Typer(help="scoring: the lead scoring model", no_args_is_help=True)


def _scoring() -> Scoring:
    return Scoring(
        models=PolicyStore(rule_models(ScoringSettings().rules_file), on_activated=start_rescore),
        predictors=Predictors(),
    )


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
