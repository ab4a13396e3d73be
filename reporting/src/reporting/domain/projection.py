"""One lead's funnel row, and how each event moves it. Pure: a row and an event in, the row out.

Events of one lead arrive on different topics in any order, so each event changes only what it
knows: the earliest capture is the first touch whichever is projected first, a stage once reached
stays reached and keeps the earliest time it was reached, counts add up. Every touch also goes to
the touch log (`touch_of`), which attribution reads.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from lead_schemas import (
    Envelope,
    LeadCaptured,
    LeadErased,
    LeadProgressed,
    LeadQualified,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
)
from reporting.domain.funnel import stages_reached


@dataclass
class FunnelRow:
    lead_id: UUID
    captured_at: datetime | None = None
    # the first touch: where the lead came from
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    channel: str | None = None
    form: str | None = None
    touches: int = 0
    last_touch_at: datetime | None = None
    score: int | None = None
    grade: str | None = None
    owner: str | None = None
    team: str | None = None
    is_mql: bool = False
    mql_at: datetime | None = None
    assigned_at: datetime | None = None
    first_step_at: datetime | None = None  # sales' first step of any kind: a human touched it
    first_contact_at: datetime | None = None
    accept_business_minutes: float | None = None  # as sla-monitor measured the accept clock
    contact_business_minutes: float | None = None  # and the first-contact clock
    is_sal: bool = False
    sal_at: datetime | None = None
    is_sql: bool = False
    sql_at: datetime | None = None
    is_opportunity: bool = False
    opportunity_at: datetime | None = None
    is_won: bool = False
    won_at: datetime | None = None
    revenue: Decimal = Decimal(0)
    is_lost: bool = False
    lost_at: datetime | None = None
    lost_reason: str | None = None
    is_rejected: bool = False
    rejected_at: datetime | None = None
    rejected_reason: str | None = None
    is_recycled: bool = False
    recycled_at: datetime | None = None
    recycle_reason: str | None = None
    sla_breaches: int = 0
    erased: bool = False

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)


COLUMNS = tuple(f.name for f in fields(FunnelRow))
_PG_TYPES = {
    "UUID": "uuid",
    "float | None": "float8",
    "datetime | None": "timestamptz",
    "str | None": "text",
    "int": "int",
    "int | None": "int",
    "bool": "bool",
    "Decimal": "numeric",
}
# PostgreSQL's type of each column, in order, for the unnest() that writes rows back
COLUMN_TYPES = tuple(_PG_TYPES[str(f.type)] for f in fields(FunnelRow))
# the stages' first-reached times, by the flag that marks them
_TIMES = {"is_sal": "sal_at", "is_sql": "sql_at", "is_opportunity": "opportunity_at", "is_won": "won_at"}


def _earliest(current: datetime | None, at: datetime) -> datetime:
    return at if current is None or at < current else current


@dataclass(frozen=True)
class TouchRow:
    """One touch in the touch log: the events attribution builds journeys from."""

    lead_id: UUID
    touch_id: str
    occurred_at: datetime
    channel: str | None
    source: str | None
    medium: str | None
    campaign: str | None
    content: str | None
    created_lead: bool  # the touch that made the lead (its first submission)

    def values(self) -> tuple[Any, ...]:
        """The columns in order (dataclasses.astuple copies deeply: a poll's worth costs milliseconds)."""
        return (
            self.lead_id,
            self.touch_id,
            self.occurred_at,
            self.channel,
            self.source,
            self.medium,
            self.campaign,
            self.content,
            self.created_lead,
        )


TOUCH_COLUMNS = tuple(f.name for f in fields(TouchRow))


def touch_of(event: LeadCaptured) -> TouchRow:
    touch = event.data.touch
    return TouchRow(
        event.lead_id,
        touch.id,
        touch.occurred_at,
        touch.channel,
        touch.source,
        touch.medium,
        touch.campaign,
        touch.content,
        event.data.is_new,
    )


def project(row: FunnelRow, event: Envelope) -> None:
    """Apply one event to its lead's row."""
    match event:
        case LeadCaptured():
            touch = event.data.touch
            row.touches += 1
            if row.last_touch_at is None or touch.occurred_at > row.last_touch_at:
                row.last_touch_at = touch.occurred_at
            if row.captured_at is None or touch.occurred_at < row.captured_at:
                row.captured_at = touch.occurred_at
                row.source, row.medium = touch.source, touch.medium
                row.campaign, row.content = touch.campaign, touch.content
                row.channel, row.form = touch.channel, touch.form_id
        case LeadScored():
            row.score, row.grade = event.data.score, event.data.grade
        case LeadQualified():
            row.is_mql, row.owner, row.team = True, event.data.owner, event.data.team
            row.grade = row.grade or event.data.grade
            # the first qualification, whichever order the events are projected in
            row.mql_at = _earliest(row.mql_at, event.occurred_at)
            if event.data.owner is not None:
                row.assigned_at = _earliest(row.assigned_at, event.occurred_at)
        case LeadProgressed():
            _progressed(row, event)
        case LeadRecycled():
            row.is_recycled, row.recycle_reason = True, event.data.reason
            row.recycled_at = _earliest(row.recycled_at, event.occurred_at)
        case LeadSlaBreached():
            row.sla_breaches += 1
        case LeadErased():
            # reporting holds no personal data; the flag lets reports exclude nothing yet count honestly
            row.erased = True


_CONTACTS = frozenset({"contacted", "meeting"})


def _progressed(row: FunnelRow, event: LeadProgressed) -> None:
    data, at = event.data, event.occurred_at
    row.first_step_at = _earliest(row.first_step_at, at)
    if data.stage in _CONTACTS:
        row.first_contact_at = _earliest(row.first_contact_at, at)
    for clock in data.clocks_met:
        # the first owner's clocks: a later owner's would measure a reassignment, not speed to lead
        if clock.clock == "accept" and row.accept_business_minutes is None:
            row.accept_business_minutes = clock.business_minutes
        if clock.clock == "first_contact" and row.contact_business_minutes is None:
            row.contact_business_minutes = clock.business_minutes
    for flag in stages_reached(data.stage):
        setattr(row, flag, True)
        setattr(row, _TIMES[flag], _earliest(getattr(row, _TIMES[flag]), at))
    if data.stage == "won" and data.amount is not None:
        # A deal is won once: a repeated report (a sales tool's retry, a corrected amount)
        # replaces the amount instead of adding to it.
        row.revenue = data.amount
    if data.stage == "lost":
        row.is_lost, row.lost_reason = True, data.reason
        row.lost_at = _earliest(row.lost_at, at)
    if data.stage == "rejected":
        row.is_rejected, row.rejected_reason = True, data.reason
        row.rejected_at = _earliest(row.rejected_at, at)
