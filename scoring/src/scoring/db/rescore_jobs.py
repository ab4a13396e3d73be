"""The `rescore_jobs` table: a durable re-score of every known lead after an activation, worked
batch by batch by whichever process holds its row (any scoring instance, or the CLI that activated
and shows the progress bar); and the decay schedule on `lead_profiles.decay_due_at`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection

_SUPERSEDE = "UPDATE rescore_jobs SET finished_at = now() WHERE finished_at IS NULL"
_CREATE = """
INSERT INTO rescore_jobs (version, total) SELECT $1, count(*) FROM lead_profiles RETURNING id
"""
_CLAIM_JOB = """
SELECT id, cursor FROM rescore_jobs
WHERE finished_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
_NEXT_LEADS = """
SELECT lead_id FROM lead_profiles WHERE $1::uuid IS NULL OR lead_id > $1 ORDER BY lead_id LIMIT $2
"""
# the quarantined leads are passed over but still move the cursor: the job finishes without them
_UNSKIPPED = "SELECT unnest($1::uuid[]) AS lead_id EXCEPT SELECT unnest($2::text[])::uuid"
_PEEK_JOB = "SELECT cursor FROM rescore_jobs WHERE finished_at IS NULL ORDER BY id LIMIT 1"
_ANY_JOB = "SELECT EXISTS (SELECT FROM rescore_jobs WHERE finished_at IS NULL)"
_ADVANCE = """
UPDATE rescore_jobs SET cursor = $2, done = done + $3, changed = changed + $4,
    finished_at = CASE WHEN $5 THEN now() END
WHERE id = $1
"""
_JOB = "SELECT id, version, total, done, changed, finished_at FROM rescore_jobs WHERE id = $1"
_LATEST_JOB = "SELECT max(id) FROM rescore_jobs WHERE $1::int IS NULL OR version = $1"
_CLAIM_DECAY_DUE = """
SELECT lead_id FROM lead_profiles
WHERE decay_due_at <= $1 AND lead_id::text <> ALL($3::text[])
  AND ($4::uuid[] IS NULL OR lead_id = ANY($4::uuid[]))
ORDER BY decay_due_at LIMIT $2 FOR UPDATE SKIP LOCKED
"""
# the decay worker's next wake-up: the first entry of the decay index, quarantine aside
_NEXT_DECAY = """
SELECT decay_due_at FROM lead_profiles
WHERE decay_due_at IS NOT NULL AND lead_id::text <> ALL($1::text[])
ORDER BY decay_due_at LIMIT 1
"""
_DECAY_PENDING = """
SELECT lead_id FROM lead_profiles WHERE decay_due_at <= $1 AND lead_id::text <> ALL($3::text[])
ORDER BY decay_due_at LIMIT $2
"""


@dataclass(frozen=True)
class JobProgress:
    id: int
    version: int
    total: int
    done: int
    changed: int
    finished_at: datetime | None


@dataclass(frozen=True)
class ClaimedJob:
    """The oldest unfinished job, held by this transaction, and the last lead it has done."""

    id: int
    cursor: UUID | None


async def start_rescore(conn: Connection, version: int) -> None:
    """The activation hook: a new job replaces any unfinished one (its version is no longer active)."""
    await conn.execute(_SUPERSEDE)
    await conn.execute(_CREATE, version)


async def job_progress(conn: Connection, job_id: int) -> JobProgress:
    row = await conn.fetchrow(_JOB, job_id)
    assert row is not None
    return JobProgress(**dict(row))


async def latest_job(conn: Connection, version: int | None = None) -> int | None:
    """The latest re-score (of `version`, or of any)."""
    job_id: int | None = await conn.fetchval(_LATEST_JOB, version)
    return job_id


async def claim_job(conn: Connection) -> ClaimedJob | None:
    row = await conn.fetchrow(_CLAIM_JOB)
    return None if row is None else ClaimedJob(row["id"], row["cursor"])


async def leads_after(conn: Connection, cursor: UUID | None, batch: int) -> list[UUID]:
    """The next `batch` known leads after `cursor`, in lead order."""
    return [row["lead_id"] for row in await conn.fetch(_NEXT_LEADS, cursor, batch)]


async def without(conn: Connection, lead_ids: Sequence[UUID], skip: Sequence[str]) -> list[UUID]:
    if not skip:
        return list(lead_ids)
    return [row["lead_id"] for row in await conn.fetch(_UNSKIPPED, lead_ids, list(skip))]


async def advance_job(
    conn: Connection, job: ClaimedJob, last: UUID | None, done: int, changed: int, *, finished: bool
) -> None:
    await conn.execute(_ADVANCE, job.id, last or job.cursor, done, changed, finished)


async def next_job_leads(conn: Connection, batch: int) -> list[str]:
    """The leads the waiting job would take next, read without locks."""
    cursor = await conn.fetchval(_PEEK_JOB)
    return [str(lead) for lead in await leads_after(conn, cursor, batch)]


async def claim_decay_due(
    conn: Connection, now: datetime, limit: int, skip: Sequence[str], only: Sequence[UUID] | None
) -> list[UUID]:
    """Leads whose decay instant has come, locked (SKIP LOCKED: instances share them)."""
    claimed = await conn.fetch(_CLAIM_DECAY_DUE, now, limit, list(skip), None if only is None else list(only))
    return [row["lead_id"] for row in claimed]


async def decay_pending(conn: Connection, now: datetime, limit: int, skip: Sequence[str]) -> list[str]:
    return [str(row["lead_id"]) for row in await conn.fetch(_DECAY_PENDING, now, limit, list(skip))]


async def next_decay(conn: Connection, skip: Sequence[str]) -> datetime | None:
    """When the first lead's decay (of a lead not in `skip`) is due."""
    due: datetime | None = await conn.fetchval(_NEXT_DECAY, list(skip))
    return due


async def job_waiting(conn: Connection) -> bool:
    """Whether an unfinished re-score job waits (one cheap read: the idle worker's only one)."""
    waiting: bool = await conn.fetchval(_ANY_JOB)
    return waiting
