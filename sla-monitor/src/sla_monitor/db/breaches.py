"""The SLA screen's reads and the one write of a manager: clocks about to breach, breaches not yet
acknowledged, breaches by weekday and hour, and acknowledging one. Rows come back typed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from leadkit.db import Connection

_CLOCK = """
SELECT id, lead_id, clock, owner, team, tier, started_at, due_at, target_minutes, escalation, status,
       closed_at, acknowledged_at, acknowledged_by, acknowledgement
FROM timers
"""
# a warning is its own row (escalation 'warn'): it is not a clock of its own
_DUE = (
    _CLOCK
    + """WHERE status = 'pending' AND escalation <> 'warn' AND ($1::text IS NULL OR team = $1)
ORDER BY due_at, id LIMIT $2"""
)
_BREACHED = (
    _CLOCK
    + """WHERE status = 'breached' AND escalation <> 'warn' AND closed_at >= $1
  AND ($2::text IS NULL OR team = $2) AND ($3 OR acknowledged_at IS NULL)
ORDER BY closed_at DESC, id DESC LIMIT $4"""
)
# when a clock breached is its due time (the sweep may close it a moment later)
_HEATMAP = """
SELECT extract(isodow FROM due_at AT TIME ZONE $3)::int - 1 AS weekday,
       extract(hour FROM due_at AT TIME ZONE $3)::int AS hour,
       count(*) AS breaches
FROM timers
WHERE status = 'breached' AND escalation <> 'warn' AND due_at >= $1 AND due_at < $2
  AND ($4::text IS NULL OR team = $4)
GROUP BY 1, 2 ORDER BY 1, 2
"""
_LOCK = _CLOCK + "WHERE id = $1 AND escalation <> 'warn' FOR UPDATE"
_ACKNOWLEDGE = """
UPDATE timers SET acknowledged_at = $2, acknowledged_by = $3, acknowledgement = $4 WHERE id = $1
"""
_FORGET_NOTES = """
UPDATE timers SET acknowledgement = NULL WHERE lead_id = ANY($1::uuid[]) AND acknowledgement IS NOT NULL
"""


@dataclass(frozen=True)
class ClockRow:
    id: int
    lead_id: UUID
    clock: str
    owner: str
    team: str | None
    tier: str | None
    started_at: datetime
    due_at: datetime
    target_minutes: Decimal | None
    escalation: str
    status: str
    closed_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str | None


@dataclass(frozen=True)
class HeatCell:
    weekday: int  # 0 Monday … 6 Sunday
    hour: int
    breaches: int


async def clocks_due(conn: Connection, *, team: str | None, limit: int) -> list[ClockRow]:
    """Running clocks, the soonest due first (overdue ones the sweep has not closed yet included)."""
    return [ClockRow(**dict(row)) for row in await conn.fetch(_DUE, team, limit)]


async def recent_breaches(
    conn: Connection, *, since: datetime, team: str | None, acknowledged: bool, limit: int
) -> list[ClockRow]:
    rows = await conn.fetch(_BREACHED, since, team, acknowledged, limit)
    return [ClockRow(**dict(row)) for row in rows]


async def breach_heatmap(
    conn: Connection, *, start: datetime, to: datetime, timezone: str, team: str | None
) -> list[HeatCell]:
    return [HeatCell(**dict(row)) for row in await conn.fetch(_HEATMAP, start, to, timezone, team)]


async def lock_clock(conn: Connection, timer_id: int) -> ClockRow | None:
    row = await conn.fetchrow(_LOCK, timer_id)
    return None if row is None else ClockRow(**dict(row))


async def acknowledge(conn: Connection, timer_id: int, *, at: datetime, by: str, note: str) -> None:
    await conn.execute(_ACKNOWLEDGE, timer_id, at, by, note)


async def forget_notes(conn: Connection, lead_ids: Sequence[UUID]) -> None:
    """An erased person: no manager's words about them stay."""
    await conn.execute(_FORGET_NOTES, lead_ids)
