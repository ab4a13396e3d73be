"""SLA clocks as timer rows, and the rows the sweep and a progress report decide on. Pure.

A clock is a row; its warning is a second row (escalation `warn`) beside it, fired by the same
sweep. Closing a clock records the business minutes it took on its own calendar. `db/timers.py`
reads and writes these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_clock import business_time, escalation_for, schedule
from sla_monitor.domain.sla_policy import ClockName, Tier


@dataclass(frozen=True)
class LeadClocks:
    """What a lead's clocks run on: its tier (of an SLA policy version), team and calendar."""

    tier: Tier
    version: int
    team: str | None
    calendar_label: str | None
    calendar: BusinessCalendar | None


@dataclass
class TimerRows:
    """Timers to insert, gathered over a batch and written in one statement."""

    rows: list[tuple[object, ...]] = field(default_factory=list)

    @property
    def first_due(self) -> datetime | None:
        """When the first of the running timers is due (the sweep's wake-up), if any runs."""
        due = [row[6] for row in self.rows if row[7] == "pending" and isinstance(row[6], datetime)]
        return min(due) if due else None

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


@dataclass(frozen=True)
class ClaimedLead:
    """A lead the sweep holds (locked) while its due timers fire."""

    lead_id: UUID
    correlation_id: UUID
    tier: str | None
    sla_version: int | None


@dataclass(frozen=True)
class DueTimer:
    """A pending timer whose time has come: a warning (`escalation` "warn") or a clock's breach."""

    id: int
    lead_id: UUID
    clock: str
    escalation: str
    escalation_step: int
    owner: str
    started_at: datetime
    due_at: datetime
    cause_event_id: UUID | None
    tier: str | None
    sla_version: int | None
    team: str | None
    target_minutes: Decimal | None

    @property
    def is_warning(self) -> bool:
        return self.escalation == "warn"

    @property
    def recycles(self) -> bool:
        return self.escalation == "recycle"


@dataclass(frozen=True)
class RunningClock:
    """A clock still running that a due warning belongs to."""

    lead_id: UUID
    clock: str
    started_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class RunningTimer:
    """A pending timer of one lead, as a progress report sees it (clock or warning)."""

    id: int
    clock: str
    escalation: str
    started_at: datetime
    due_at: datetime
    attempts: int
    required_attempts: int | None
    target_minutes: Decimal | None

    @property
    def is_warning(self) -> bool:
        return self.escalation == "warn"
