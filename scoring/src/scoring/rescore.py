"""Re-scoring every known lead after an activation (or a rollback): a durable job in scoring's
database, worked batch by batch by whichever process holds its row — any scoring instance, or
the CLI that activated and shows the progress bar. `lead.scored` goes out only for leads whose
grade, level or qualification changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection
from leadkit.messaging import outboxed_transaction
from leadkit.service import Deps
from scoring.handlers import Scoring, settle
from scoring.store import load_states

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
    conn: Connection, scoring: Scoring, *, now: datetime, batch: int, notify: bool
) -> int | None:
    """One batch of the oldest unfinished job, in its own transaction. Returns the leads done,
    or None when no job is waiting (or another process holds it)."""
    async with outboxed_transaction(conn, notify=notify) as outbox:
        job = await conn.fetchrow(_CLAIM_JOB)
        if job is None:
            return None
        lead_ids: list[UUID] = [row["lead_id"] for row in await conn.fetch(_NEXT_LEADS, job["cursor"], batch)]
        changed = 0
        if lead_ids:
            states = await load_states(conn, lead_ids)
            changed = await settle(conn, outbox, scoring, states.values(), now=now, cause="activation")
        finished = len(lead_ids) < batch
        await conn.execute(
            _ADVANCE, job["id"], lead_ids[-1] if lead_ids else job["cursor"], len(lead_ids), changed, finished
        )
    return len(lead_ids)


async def run_rescore_worker(deps: Deps, *, scoring: Scoring, poll_seconds: float, batch: int) -> None:
    while True:
        async with deps.pool.acquire() as conn:
            done = await rescore_batch(conn, scoring, now=deps.clock(), batch=batch, notify=deps.notify_relay)
        if done:
            deps.outbox_written()
        else:
            await asyncio.sleep(poll_seconds)
