"""Business-hours calendars: when an SLA clock that runs only in working time falls due. Pure.

A calendar is a time zone, weekly working hours and holidays. Its open intervals are built day by
day in local time and compared as instants, so a clock that runs over a daylight-saving change
counts the working minutes people lived through: a 09:00-18:00 day is nine hours on the Monday
after the clocks moved as on any other. A start outside working time waits for the next opening.

Written by hand because no maintained library adds business time over arbitrary weekly hours,
holidays and zones together (the `businesstime`-style packages assume one shift a day and no
zones); zones come from `zoneinfo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from leadkit.hours import Shift, check_timezone, parse_hours

# How far ahead an opening is looked for: a calendar closed for longer (every day a holiday) is
# refused rather than searched for ever.
HORIZON_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    pass


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    hours: tuple[Shift, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        if not self.hours:
            raise NoWorkingTime("a calendar needs working hours on at least one weekday")

    @classmethod
    def of(cls, timezone: str, hours: str, holidays: frozenset[date] = frozenset()) -> BusinessCalendar:
        """From the text people write: `BusinessCalendar.of("Europe/Berlin", "mon-fri 09:00-18:00")`."""
        return cls(timezone, parse_hours(hours), holidays)

    @cached_property
    def minutes_per_day(self) -> float:
        """A business day's working minutes: the week's hours over its working days (a day in a
        "within 5 business days" target; exact for a calendar whose working days are alike)."""
        week = sum(
            (datetime.combine(date.min, s.end) - datetime.combine(date.min, s.start)).total_seconds()
            for s in self.hours
        )
        return round(week / 60) / len({s.weekday for s in self.hours})

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _instant(self, day: date, clock: time) -> datetime:
        if clock == time.max:  # a shift to midnight ends where the next day begins
            return datetime.combine(day + timedelta(days=1), time(), tzinfo=self.zone).astimezone(UTC)
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local day, as UTC instants, in order."""
        if day in self.holidays:
            return []
        found = [
            (self._instant(day, shift.start), self._instant(day, shift.end))
            for shift in self.hours
            if shift.weekday == day.weekday()
        ]
        return sorted((start, end) for start, end in found if end > start)

    def intervals_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Every open interval that ends after `at`, clipped to start no earlier than `at`."""
        if at.tzinfo is None:
            raise ValueError("business time needs aware datetimes")
        day = at.astimezone(self.zone).date() - timedelta(days=1)  # a shift may run past midnight UTC
        for offset in range(HORIZON_DAYS):
            for start, end in self.day_intervals(day + timedelta(days=offset)):
                if end > at:
                    yield max(start, at), end
        raise NoWorkingTime(f"no working time within {HORIZON_DAYS} days of {at.isoformat()}")

    def is_open(self, at: datetime) -> bool:
        first = next(self.intervals_from(at))
        return first[0] <= at < first[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself inside working time, else the start of the next open interval."""
        return next(self.intervals_from(at))[0]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of working time after `start` (the clock's due time). A due
        time that lands on a closing instant is that instant, not the next opening."""
        if duration < timedelta(0):
            raise ValueError("a business duration is not negative")
        if duration == timedelta(0):
            return self.next_opening(start)
        left = duration
        for opening, closing in self.intervals_from(start):
            if closing - opening >= left:
                return (opening + left).astimezone(start.tzinfo)
            left -= closing - opening
        raise AssertionError("unreachable: intervals_from raises when it runs out")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero when `end` is not after `start`)."""
        total = timedelta(0)
        if end <= start:
            return total
        for opening, closing in self.intervals_from(start):
            if opening >= end:
                break
            total += min(closing, end) - opening
        return total
