"""Starting and closing SLA clocks in sla-monitor's `timers` table, set-based.

A clock is a row; its warning is a second row (escalation `warn`) beside it, fired by the same
sweep. Closing a clock records the business minutes it took on its own calendar.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from leadkit.db import Connection, columns
from sla_monitor.calendars import calendars_for
from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_clock import business_time, clock_calendar, escalation_for, schedule
from sla_monitor.domain.sla_policy import ClockName, Tier

_START = """
INSERT INTO timers (lead_id, clock, escalation, escalation_step, owner, started_at, due_at, status,
                    cause_event_id, closed_at, closed_reason, calendar, tier, sla_version, team,
                    target_minutes, required_attempts)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],
                     $7::timestamptz[], $8::text[], $9::uuid[], $10::timestamptz[], $11::text[], $12::text[],
                     $13::text[], $14::int[], $15::text[], $16::numeric[], $17::int[])
"""
_CLOSE = """
UPDATE timers SET status = u.status, closed_at = u.closed_at, closed_reason = u.reason,
    business_minutes = u.minutes, met_by = u.met_by
FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::numeric[], $6::text[])
    AS u(id, status, closed_at, reason, minutes, met_by)
WHERE timers.id = u.id
"""


@dataclass(frozen=True)
class LeadClocks:
    """What a lead's clocks run on: its tier (of an SLA policy version), team and calendar."""

    tier: Tier
    version: int
    team: str | None
    calendar_label: str | None
    calendar: BusinessCalendar | None


async def lead_clocks(conn: Connection, leads: Sequence[tuple[Tier, int, str | None]]) -> list[LeadClocks]:
    """Each (tier, version, team) with its calendar, the team calendars read in one statement."""
    teams = {name for tier, _, team in leads for name in (tier.calendar_team, team) if name}
    calendars = await calendars_for(conn, teams)
    found = []
    for tier, version, team in leads:
        label, calendar = clock_calendar(tier, team, calendars)
        found.append(LeadClocks(tier, version, team, label, calendar))
    return found


@dataclass
class TimerRows:
    """Timers to insert, gathered over a batch and written in one statement."""

    rows: list[tuple[object, ...]] = field(default_factory=list)

    def start(
        self,
        lead_id: UUID,
        name: ClockName,
        on: LeadClocks,
        *,
        owner: str,
        started_at: datetime,
        assignment: int,
        cause: UUID,
        superseded_by: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """The clock (and its warning, unless it is superseded within the batch: then the clock is
        written cancelled, for the record, and warns nobody)."""
        clock = on.tier.clocks.get(name)
        if clock is None:
            return
        planned = schedule(clock, started_at, on.calendar)
        escalation = escalation_for(
            clock.on_breach, assignment=assignment, max_reassignments=on.tier.max_reassignments
        )
        minutes = Decimal(planned.target.total_seconds() / 60).quantize(Decimal("0.01"))
        required = clock.attempts or None
        common = (on.calendar_label, on.tier.name, on.version, on.team, minutes, required)
        running = superseded_by is None
        self.rows.append(
            (
                lead_id,
                name,
                escalation,
                assignment,
                owner,
                started_at,
                planned.due_at,
                "pending" if running else "cancelled",
                cause,
                None if running else now,
                None if running else superseded_by,
                *common,
            )
        )
        if running and planned.warn_at is not None:
            self.rows.append(
                (
                    lead_id,
                    name,
                    "warn",
                    assignment,
                    owner,
                    started_at,
                    planned.warn_at,
                    "pending",
                    cause,
                    None,
                    None,
                    *common,
                )
            )

    async def write(self, conn: Connection) -> None:
        if self.rows:
            await conn.execute(_START, *columns(self.rows, width=17))


@dataclass(frozen=True)
class Closing:
    """A running clock to close: met by a step (with the business time it took) or cancelled."""

    timer_id: int
    status: str  # met | cancelled
    at: datetime
    reason: str
    minutes: Decimal | None = None
    met_by: str | None = None


def met(
    timer_id: int,
    started_at: datetime,
    at: datetime,
    calendar: BusinessCalendar | None,
    *,
    by: str | None,
    why: str,
) -> Closing:
    taken = business_time(calendar, started_at, at)
    minutes = Decimal(taken.total_seconds() / 60).quantize(Decimal("0.01"))
    return Closing(timer_id, "met", at, why, minutes, by)


async def close(conn: Connection, closings: Collection[Closing]) -> None:
    if closings:
        rows = [(c.timer_id, c.status, c.at, c.reason, c.minutes, c.met_by) for c in closings]
        await conn.execute(_CLOSE, *columns(rows, width=6))
