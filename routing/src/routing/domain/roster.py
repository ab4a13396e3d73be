"""Teams and reps as values: who may take a lead, when, and how much. Pure.

Working hours and absences are read in the rep's own time zone: a rep in Tokyo working
09:00-18:00 is working at 01:00 UTC, and an absence from 2026-12-24 to 2026-12-26 covers those
three whole days where the rep lives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from leadkit.hours import Shift


@dataclass(frozen=True)
class Absence:
    starts: date
    ends: date  # inclusive
    reason: str

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    email: str
    team: str
    weight: int = 1
    daily_cap: int | None = None
    weekly_cap: int | None = None
    max_open: int | None = None
    skills: frozenset[str] = frozenset()  # "language:de", "product:cloud", "region:emea"
    timezone: str = "UTC"
    hours: tuple[Shift, ...] = ()  # empty: always working
    active: bool = True  # the on/off switch
    deleted: bool = False
    absences: tuple[Absence, ...] = ()

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def absence_at(self, at: datetime) -> Absence | None:
        day = self.local(at).date()
        return next((absence for absence in self.absences if absence.covers(day)), None)

    def working_at(self, at: datetime) -> bool:
        if not self.hours:
            return True
        local = self.local(at)
        clock = local.time().replace(tzinfo=None)
        return any(
            shift.weekday == local.weekday()
            and shift.start <= clock
            and (clock < shift.end or shift.end == time.max)
            for shift in self.hours
        )

    def has_skill(self, skill: str) -> bool:
        return skill.lower() in self.skills


def local_day_and_week(rep: Rep, at: datetime) -> tuple[date, date]:
    """The rep's local date at `at`, and the Monday that starts its week: caps count from these."""
    day = rep.local(at).date()
    return day, day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    manager: str | None = None  # a rep id: where exhausted leads go when the policy says so


@dataclass(frozen=True)
class Roster:
    teams: dict[str, Team] = field(default_factory=dict)
    reps: dict[str, Rep] = field(default_factory=dict)

    def members(self, team: str) -> list[Rep]:
        """The team's reps who are not deleted, in id order (the round robin's stable order)."""
        return sorted(
            (rep for rep in self.reps.values() if rep.team == team and not rep.deleted), key=lambda r: r.id
        )

    def team_of(self, rep_id: str) -> str | None:
        rep = self.reps.get(rep_id)
        return rep.team if rep else None


@dataclass(frozen=True)
class Load:
    """A rep's counts as the caps read them, for the rep's current local day and week."""

    open_leads: int = 0
    today: int = 0
    this_week: int = 0

    def plus_one(self) -> Load:
        return Load(self.open_leads + 1, self.today + 1, self.this_week + 1)


@dataclass
class LoadRow:
    """A rep's open leads and the day's and week's assignments (in the rep's time zone), as stored;
    changed as a batch assigns and releases."""

    rep_id: str
    open_leads: int = 0
    day: date | None = None
    day_count: int = 0
    week: date | None = None
    week_count: int = 0

    def load_at(self, rep: Rep | None, at: datetime) -> Load:
        if rep is None:
            return Load(self.open_leads)
        day, week = local_day_and_week(rep, at)
        return Load(
            self.open_leads,
            self.day_count if self.day == day else 0,
            self.week_count if self.week == week else 0,
        )

    def assigned(self, rep: Rep, at: datetime) -> None:
        day, week = local_day_and_week(rep, at)
        self.day_count = self.day_count + 1 if self.day == day else 1
        self.week_count = self.week_count + 1 if self.week == week else 1
        self.day, self.week = day, week
        self.open_leads += 1

    def released(self) -> None:
        self.open_leads = max(self.open_leads - 1, 0)
