"""The `timers` table: clocks started, closed and fired, set-based; rows come back as the
values of `domain/timers.py`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from leadkit.db import Connection, columns
from sla_monitor.domain.timers import ClaimedLead, Closing, DueTimer, RunningClock, RunningTimer, TimerRows

_START = """
INSERT INTO timers (lead_id, clock, escalation, escalation_step, owner, started_at, due_at, status,
                    cause_event_id, closed_at, closed_reason, calendar, tier, sla_version, team,
                    target_minutes, required_attempts)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],
                     $7::timestamptz[], $8::text[], $9::uuid[], $10::timestamptz[], $11::text[], $12::text[],
                     $13::text[], $14::int[], $15::text[], $16::numeric[], $17::int[])
"""
_CLOSE_MET = """
UPDATE timers SET status = u.status, closed_at = u.closed_at, closed_reason = u.reason,
    business_minutes = u.minutes, met_by = u.met_by
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::numeric[], $6::text[])
    AS u(id, status, closed_at, reason, minutes, met_by)
WHERE timers.id = u.id
"""
_CANCEL_PENDING = """
UPDATE timers SET status = 'cancelled', closed_at = $3,
    closed_reason = coalesce('reassigned to ' || u.owner, 'moved to its team''s queue')
FROM unnest($1::uuid[], $2::text[]) AS u(lead_id, owner)
WHERE timers.lead_id = u.lead_id AND timers.status = 'pending'
"""
_RUNNING = """
SELECT id, clock, escalation, started_at, due_at, attempts, required_attempts, target_minutes FROM timers
WHERE lead_id = $1 AND status = 'pending' ORDER BY id FOR UPDATE
"""
_ATTEMPT = "UPDATE timers SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])"
# Oldest due first, walking the pending timers' due index and stopping at the limit, so a claim
# costs its batch, not the backlog (grouping every due timer by lead first cost 40 ms a claim with
# 34,000 due, and grew with them). A lead with several due timers comes once per timer: the caller
# keeps one, and its claim holds them all (`_DUE`). SKIP LOCKED passes over leads another instance
# (or a report) holds and fills the batch from the rest, so instances share a backlog instead of
# queueing on it; the sweep never waits for a lead's lock, so its order cannot deadlock with anyone's.
_CLAIM_LEADS = """
SELECT l.lead_id, l.correlation_id, l.tier, l.sla_version
FROM timers t JOIN leads l ON l.lead_id = t.lead_id
WHERE t.status = 'pending' AND t.due_at <= $1
  AND t.lead_id::text <> ALL($3::text[]) AND ($4::uuid[] IS NULL OR t.lead_id = ANY($4::uuid[]))
ORDER BY t.due_at
LIMIT $2
FOR UPDATE OF l SKIP LOCKED
"""
# what a claim would take, read without locks: the leads a failed round is worked through one by one
_PENDING_LEADS = """
SELECT lead_id FROM timers WHERE status = 'pending' AND due_at <= $1 AND lead_id::text <> ALL($3::text[])
GROUP BY lead_id ORDER BY min(due_at) LIMIT $2
"""
# the sweep's next wake-up: the first entry of the pending timers' due index, quarantine aside
_NEXT_DUE = """
SELECT due_at FROM timers WHERE status = 'pending' AND lead_id::text <> ALL($1::text[])
ORDER BY due_at LIMIT 1
"""
_DUE = """
SELECT id, lead_id, clock, escalation, escalation_step, owner, started_at, due_at, cause_event_id, tier,
       sla_version, team, target_minutes
FROM timers WHERE lead_id = ANY($1::uuid[]) AND status = 'pending' AND due_at <= $2
ORDER BY due_at, id FOR UPDATE
"""
# the clocks the due warnings belong to (still running: a warning whose clock closed warns nobody)
_WARNED_CLOCKS = """
SELECT lead_id, clock, started_at, due_at FROM timers
WHERE lead_id = ANY($1::uuid[]) AND status = 'pending' AND escalation <> 'warn' AND due_at > $2
"""
_CLOSE_FIRED = """
UPDATE timers SET status = u.status, closed_at = $1, closed_reason = u.reason, business_minutes = u.minutes
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::numeric[]) AS u(id, status, reason, minutes)
WHERE timers.id = u.id
"""
_RECYCLE = "UPDATE leads SET stage = 'recycled', updated_at = $2 WHERE lead_id = ANY($1::uuid[])"
_CANCEL_REST = """
UPDATE timers SET status = 'cancelled', closed_at = $2, closed_reason = 'lead recycled to marketing'
WHERE lead_id = ANY($1::uuid[]) AND status = 'pending'
"""


async def start_timers(conn: Connection, timers: TimerRows) -> None:
    if timers.rows:
        await conn.execute(_START, *columns(timers.rows, width=17))


async def close_timers(conn: Connection, closings: Collection[Closing]) -> None:
    if closings:
        rows = [(c.timer_id, c.status, c.at, c.reason, c.minutes, c.met_by) for c in closings]
        await conn.execute(_CLOSE_MET, *columns(rows, width=6))


async def cancel_for_new_owners(
    conn: Connection, leads: Sequence[UUID], owners: Sequence[str | None], now: datetime
) -> None:
    """Stop the running clocks of leads that changed hands (the new owner's start afresh)."""
    if leads:
        await conn.execute(_CANCEL_PENDING, leads, owners, now)


async def lock_running(conn: Connection, lead_id: UUID) -> list[RunningTimer]:
    """A lead's pending timers, locked (its lead row is locked first: see handlers.py)."""
    return [RunningTimer(**dict(row)) for row in await conn.fetch(_RUNNING, lead_id)]


async def count_attempts(conn: Connection, timer_ids: Sequence[int]) -> None:
    if timer_ids:
        await conn.execute(_ATTEMPT, timer_ids)


async def claim_due_leads(
    conn: Connection, *, now: datetime, limit: int, skip: Sequence[str], only: Sequence[UUID] | None
) -> dict[UUID, ClaimedLead]:
    claimed = await conn.fetch(_CLAIM_LEADS, now, limit, list(skip), None if only is None else list(only))
    return {row["lead_id"]: ClaimedLead(**dict(row)) for row in claimed}


async def due_timers(conn: Connection, leads: Collection[UUID], now: datetime) -> list[DueTimer]:
    return [DueTimer(**dict(row)) for row in await conn.fetch(_DUE, sorted(leads), now)]


async def running_clocks(
    conn: Connection, leads: Collection[UUID], now: datetime
) -> dict[tuple[UUID, str], RunningClock]:
    """The clocks still running that these leads' due warnings belong to."""
    if not leads:
        return {}
    running = await conn.fetch(_WARNED_CLOCKS, sorted(leads), now)
    return {(row["lead_id"], row["clock"]): RunningClock(**dict(row)) for row in running}


async def close_fired(
    conn: Connection, now: datetime, closed: Sequence[tuple[int, str, str, Decimal | None]]
) -> None:
    """Close fired timers: (id, status, reason, business minutes)."""
    await conn.execute(_CLOSE_FIRED, now, *columns(closed, width=4))


async def recycle(conn: Connection, leads: Sequence[UUID], now: datetime) -> None:
    """Leads sent back to marketing: stage recycled, every clock they still had cancelled."""
    if leads:
        await conn.execute(_RECYCLE, leads, now)
        await conn.execute(_CANCEL_REST, leads, now)


async def pending_leads(
    conn: Connection, *, now: datetime, skip: Sequence[str], limit: int = 1000
) -> list[str]:
    return [str(row["lead_id"]) for row in await conn.fetch(_PENDING_LEADS, now, limit, list(skip))]


async def next_due(conn: Connection, skip: Sequence[str]) -> datetime | None:
    """When the first pending timer (of a lead not in `skip`) is due."""
    due: datetime | None = await conn.fetchval(_NEXT_DUE, list(skip))
    return due
