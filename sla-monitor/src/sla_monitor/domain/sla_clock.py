"""SLA clocks: when a clock started at `started_at` falls due, when its owner is warned, and what
its breach does. Pure.

Business time on a calendar (domain/calendar.py), or around the clock without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_policy import Clock, OnBreach, Tier

Escalation = Literal["warn", "reassign", "notify", "recycle"]


def escalation_for(on_breach: OnBreach, *, assignment: int, max_reassignments: int) -> Escalation:
    """The ladder: a reassigning clock reassigns until the lead has had `max_reassignments`
    reassignments; the breach after that sends it back to marketing instead."""
    if on_breach == "notify_manager":
        return "notify"
    if on_breach == "recycle":
        return "recycle"
    return "reassign" if assignment <= max_reassignments else "recycle"


def _add(calendar: BusinessCalendar | None, start: datetime, duration: timedelta) -> datetime:
    if start.tzinfo is None:
        raise ValueError("SLA clocks need aware datetimes")
    return start + duration if calendar is None else calendar.add(start, duration)


@dataclass(frozen=True)
class Schedule:
    """A started clock: its target in business time, its due time and its warning (None: none)."""

    target: timedelta
    due_at: datetime
    warn_at: datetime | None


def schedule(clock: Clock, started_at: datetime, calendar: BusinessCalendar | None) -> Schedule:
    """A clock started outside its calendar's hours waits for the next opening."""
    target = clock.duration(calendar)
    warning = None
    if 0 < clock.warn_share < 1:
        warning = _add(calendar, started_at, target * clock.warn_share)
    return Schedule(target, _add(calendar, started_at, target), warning)


def business_time(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> timedelta:
    """Working time between two instants: what a met clock took, in the clock's own terms."""
    if calendar is None:
        return max(end - start, timedelta(0))
    return calendar.between(start, end)


def clock_calendar(
    tier: Tier, team: str | None, team_calendars: Mapping[str, BusinessCalendar]
) -> tuple[str | None, BusinessCalendar | None]:
    """Whose hours a lead's clocks run on, and its label: the tier's own calendar, else the team
    calendar the tier names, else the lead's team's; none of them: around the clock."""
    if tier.calendar is not None:
        return f"tier {tier.name}", tier.calendar
    name = tier.calendar_team or team
    if name is not None and name in team_calendars:
        return name, team_calendars[name]
    return None, None
