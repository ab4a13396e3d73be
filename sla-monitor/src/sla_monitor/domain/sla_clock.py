"""SLA clocks: when a timer started at `started_at` falls due. Pure.

Wall-clock minutes, or business minutes on a team's calendar (domain/calendar.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sla_monitor.domain.calendar import BusinessCalendar

Escalation = Literal["warn", "reassign", "recycle"]


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    minutes: float
    escalation: Escalation
    warn_share: float = 0.0  # warn the owner once this share of the target is gone; 0: no warning


def accept_policy(minutes: float, warn_share: float = 0.0) -> SlaPolicy:
    """The owner must accept the lead within `minutes`, or it goes to the next rep."""
    return SlaPolicy(name="accept", minutes=minutes, escalation="reassign", warn_share=warn_share)


def escalation_for(*, assignment: int, max_reassignments: int) -> Escalation:
    """The ladder: a breached lead is reassigned until it has had `max_reassignments`
    reassignments; the breach after that sends it back to marketing instead."""
    return "reassign" if assignment <= max_reassignments else "recycle"


def due_at(policy: SlaPolicy, started_at: datetime, calendar: BusinessCalendar | None = None) -> datetime:
    """Wall-clock minutes, or business minutes on the owner's team calendar when it has one (a
    clock started outside its hours waits for the next opening)."""
    if started_at.tzinfo is None:
        raise ValueError("SLA clocks need aware datetimes")
    target = timedelta(minutes=policy.minutes)
    return started_at + target if calendar is None else calendar.add(started_at, target)


def warn_at(
    policy: SlaPolicy, started_at: datetime, calendar: BusinessCalendar | None = None
) -> datetime | None:
    """When the owner is warned: `warn_share` of the target in, on the same clock; None: never."""
    if not 0 < policy.warn_share < 1:
        return None
    share = timedelta(minutes=policy.minutes * policy.warn_share)
    return started_at + share if calendar is None else calendar.add(started_at, share)
