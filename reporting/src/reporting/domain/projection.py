"""One lead's funnel row, and how each event moves it. Pure: a row and an event in, the row out.

Events of one lead arrive on different topics in any order, so each event changes only what it
knows: the earliest capture is the first touch whichever is projected first, a stage once reached
stays reached, counts add up.
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
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    touches: int = 0
    score: int | None = None
    grade: str | None = None
    owner: str | None = None
    is_mql: bool = False
    mql_at: datetime | None = None
    is_sal: bool = False
    is_sql: bool = False
    is_opportunity: bool = False
    is_won: bool = False
    revenue: Decimal = Decimal(0)
    is_recycled: bool = False
    recycle_reason: str | None = None
    sla_breaches: int = 0
    erased: bool = False

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in COLUMNS)


COLUMNS = tuple(f.name for f in fields(FunnelRow))


def project(row: FunnelRow, event: Envelope) -> None:
    """Apply one event to its lead's row."""
    match event:
        case LeadCaptured():
            touch = event.data.touch
            row.touches += 1
            if row.captured_at is None or touch.occurred_at < row.captured_at:
                row.captured_at = touch.occurred_at
                row.source, row.medium = touch.source, touch.medium
                row.campaign, row.content = touch.campaign, touch.content
        case LeadScored():
            row.score, row.grade = event.data.score, event.data.grade
        case LeadQualified():
            row.is_mql, row.owner = True, event.data.owner
            # the first qualification, whichever order the events are projected in
            row.mql_at = min(row.mql_at, event.occurred_at) if row.mql_at else event.occurred_at
        case LeadProgressed():
            for flag in stages_reached(event.data.stage):
                setattr(row, flag, True)
            if event.data.stage == "won" and event.data.amount is not None:
                # A deal is won once: a repeated report (a sales tool's retry, a corrected amount)
                # replaces the amount instead of adding to it.
                row.revenue = event.data.amount
        case LeadRecycled():
            row.is_recycled, row.recycle_reason = True, event.data.reason
        case LeadSlaBreached():
            row.sla_breaches += 1
        case LeadErased():
            # reporting holds no personal data; the flag lets reports exclude nothing yet count honestly
            row.erased = True
