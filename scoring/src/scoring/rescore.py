"""Re-scoring every known lead after an activation (or a rollback): a durable job in scoring's
database, worked batch by batch by whichever process holds its row — any scoring instance, or
the CLI that activated and shows the progress bar. `lead.scored` goes out only for leads whose
grade, level or qualification changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox, outboxed_transaction
from leadkit.quarantine import Quarantine, guarded_round
from leadkit.service import Deps
from scoring.db.profiles import load_states
from scoring.handlers import Scoring, settle

_SUPERSEDE = "UPDATE rescore_jobs SET finished_at = now() WHERE finished_at IS NULL"
_CREATE = """
INSERT INTO rescore_jobs (version, total) SELECT $1, count(*) FROM lead_profiles RETURNING id
"""
_CLAIM_JOB = """
SELECT id, version, total, done, changed, cursor FROM rescore_jobs
WHERE finished_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
_NEXT_LEADS = """
SELECT lead_id FROM lead_profiles WHERE $1::uuid IS NULL OR lead_id > $1 ORDER BY lead_id LIMIT $2
"""
# the quarantined leads are passed over but still move the cursor: the job finishes without them
_UNSKIPPED = "SELECT unnest($1::uuid[]) AS lead_id EXCEPT SELECT unnest($2::text[])::uuid"
_PEEK_JOB = "SELECT cursor FROM rescore_jobs WHERE finished_at IS NULL ORDER BY id LIMIT 1"
RESCORE = Quarantine("scoring", "rescore")
_ADVANCE = """
UPDATE rescore_jobs SET cursor = $2, done = done + $3, changed = changed + $4,
    finished_at = CASE WHEN $5 THEN now() END
WHERE id = $1
"""
_JOB = "SELECT id, version, total, done, changed, finished_at FROM rescore_jobs WHERE id = $1"
_LATEST_JOB = "SELECT max(id) FROM rescore_jobs WHERE $1::int IS NULL OR version = $1"


async def start_rescore(conn: Connection, version: int) -> None:
    """The activation hook: a new job replaces any unfinished one (its version is no longer active)."""
    await conn.execute(_SUPERSEDE)
    await conn.execute(_CREATE, version)


@dataclass(frozen=True)
class JobProgress:
    id: int
    version: int
    total: int
    done: int
    changed: int
    finished_at: datetime | None


async def job_progress(conn: Connection, job_id: int) -> JobProgress:
    row = await conn.fetchrow(_JOB, job_id)
    assert row is not None
    return JobProgress(**dict(row))


async def latest_job(conn: Connection, version: int | None = None) -> int | None:
    """The latest re-score (of `version`, or of any)."""
    job_id: int | None = await conn.fetchval(_LATEST_JOB, version)
    return job_id


async def rescore_batch(
    conn: Connection, scoring: Scoring, *, now: datetime, batch: int, notify: bool, skip: Sequence[str] = ()
) -> int | None:
    """One batch of the oldest unfinished job, in its own transaction. Returns the leads done,
    or None when no job is waiting (or another process holds it)."""
    async with outboxed_transaction(conn, notify=notify) as outbox:
        return await rescore_step(conn, outbox, scoring, now=now, batch=batch, skip=skip)


async def rescore_step(
    conn: Connection, outbox: Outbox, scoring: Scoring, *, now: datetime, batch: int, skip: Sequence[str] = ()
) -> int | None:
    """`rescore_batch` in the caller's transaction, passing over the quarantined leads in `skip`."""
    job = await conn.fetchrow(_CLAIM_JOB)
    if job is None:
        return None
    lead_ids: list[UUID] = [row["lead_id"] for row in await conn.fetch(_NEXT_LEADS, job["cursor"], batch)]
    changed = 0
    scored = (
        [row["lead_id"] for row in await conn.fetch(_UNSKIPPED, lead_ids, list(skip))] if skip else lead_ids
    )
    if scored:
        states = await load_states(conn, scored)
        changed = await settle(conn, outbox, scoring, states.values(), now=now, cause="activation")
    finished = len(lead_ids) < batch
    await conn.execute(
        _ADVANCE, job["id"], lead_ids[-1] if lead_ids else job["cursor"], len(lead_ids), changed, finished
    )
    return len(lead_ids)


async def _next_leads(conn: Connection, batch: int) -> list[str]:
    cursor = await conn.fetchval(_PEEK_JOB)
    return [str(row["lead_id"]) for row in await conn.fetch(_NEXT_LEADS, cursor, batch)]


async def _rescore_one(conn: Connection, outbox: Outbox, scoring: Scoring, lead: str, now: datetime) -> None:
    states = await load_states(conn, [UUID(lead)])
    await settle(conn, outbox, scoring, states.values(), now=now, cause="activation")


async def rescore_round(
    pool: Pool,
    scoring: Scoring,
    *,
    now: datetime,
    batch: int,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> int | None:
    """One batch; None when no job waits (or the batch was worked lead by lead)."""
    return await guarded_round(
        pool,
        RESCORE,
        work=lambda conn, outbox, skip: rescore_step(conn, outbox, scoring, now=now, batch=batch, skip=skip),
        pending=lambda conn, skip: _next_leads(conn, batch),
        one=lambda conn, outbox, lead: _rescore_one(conn, outbox, scoring, lead, now),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_rescore_worker(deps: Deps, *, scoring: Scoring, poll_seconds: float, batch: int) -> None:
    while True:
        done = await rescore_round(
            deps.pool,
            scoring,
            now=deps.clock(),
            batch=batch,
            notify=deps.notify_relay,
            on_outbox=deps.outbox_written,
        )
        if done is None:
            await asyncio.sleep(poll_seconds)
