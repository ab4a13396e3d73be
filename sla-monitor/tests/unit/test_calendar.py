"""Business-hours calendars: the issue's own example, holidays, daylight saving, and properties
that hold for any start, duration and calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadkit.hours import InvalidHours
from sla_monitor.domain.calendar import BusinessCalendar, NoWorkingTime

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_SIX = BusinessCalendar.of("Europe/Berlin", "mon-fri 09:00-18:00")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_friday_evening_plus_thirty_minutes_falls_due_monday_morning() -> None:
    # the example: assigned Friday 17:50, a 30-minute target, a 9-18 calendar
    due = NINE_TO_SIX.add(berlin(2026, 11, 27, 17, 50), timedelta(minutes=30))
    assert due == berlin(2026, 11, 30, 9, 20)


def test_a_clock_started_outside_hours_starts_at_the_next_opening() -> None:
    assert NINE_TO_SIX.add(berlin(2026, 11, 28, 11, 0), timedelta(minutes=30)) == berlin(2026, 11, 30, 9, 30)
    assert NINE_TO_SIX.add(berlin(2026, 11, 24, 7, 0), timedelta(minutes=30)) == berlin(2026, 11, 24, 9, 30)
    assert NINE_TO_SIX.next_opening(berlin(2026, 11, 24, 18, 0)) == berlin(2026, 11, 25, 9, 0)
    assert NINE_TO_SIX.is_open(berlin(2026, 11, 24, 17, 59))
    assert not NINE_TO_SIX.is_open(berlin(2026, 11, 24, 18, 0))


def test_holidays_are_skipped() -> None:
    with_holiday = BusinessCalendar.of(
        "Europe/Berlin", "mon-fri 09:00-18:00", frozenset({date(2026, 11, 30)})
    )
    assert with_holiday.add(berlin(2026, 11, 27, 17, 50), timedelta(minutes=30)) == berlin(2026, 12, 1, 9, 20)


def test_daylight_saving_changes_over_the_weekend_keep_local_hours() -> None:
    # Berlin moves to summer time on 29 March 2026 and back on 25 October 2026
    spring = NINE_TO_SIX.add(berlin(2026, 3, 27, 17, 50), timedelta(minutes=30))
    assert spring == berlin(2026, 3, 30, 9, 20)
    assert spring.astimezone(UTC).hour == 7  # UTC+2 now
    autumn = NINE_TO_SIX.add(berlin(2026, 10, 23, 17, 50), timedelta(minutes=30))
    assert autumn == berlin(2026, 10, 26, 9, 20)
    assert autumn.astimezone(UTC).hour == 8  # UTC+1 again


def test_a_night_shift_across_the_change_counts_the_hours_actually_worked() -> None:
    # 00:00-06:00 on the night the clocks go forward (02:00 → 03:00) holds five hours, not six
    nights = BusinessCalendar.of("Europe/Berlin", "sun 00:00-06:00")
    assert nights.between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 6, 0)) == timedelta(hours=5)


def test_business_time_between_two_instants() -> None:
    assert NINE_TO_SIX.between(berlin(2026, 11, 27, 17, 0), berlin(2026, 11, 30, 10, 0)) == timedelta(hours=2)
    assert NINE_TO_SIX.between(berlin(2026, 11, 30, 10, 0), berlin(2026, 11, 27, 17, 0)) == timedelta(0)


def test_a_calendar_without_working_time_is_refused() -> None:
    with pytest.raises(NoWorkingTime):
        BusinessCalendar.of("Europe/Berlin", "")
    with pytest.raises(InvalidHours):
        BusinessCalendar.of("Mars/Olympus", "mon-fri 09:00-18:00")
    mondays = frozenset(date(2026, 11, 30) + timedelta(weeks=w) for w in range(200))
    only_holidays = BusinessCalendar.of("Europe/Berlin", "mon 09:00-18:00", mondays)
    with pytest.raises(NoWorkingTime):
        only_holidays.add(berlin(2026, 11, 27, 12, 0), timedelta(minutes=1))


CALENDARS = [
    NINE_TO_SIX,
    BusinessCalendar.of("America/New_York", "mon-thu 08:00-12:00; mon-thu 13:00-17:00; fri 08:00-13:00"),
    BusinessCalendar.of(
        "Asia/Tokyo", "mon-sat 09:00-18:00", frozenset({date(2026, 12, 31), date(2027, 1, 1)})
    ),
    BusinessCalendar.of("Europe/London", "sun-sat 22:00-24:00; sun-sat 00:00-06:00"),
]
# hypothesis takes naive bounds and gives the instants their zone
instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda minutes: timedelta(minutes=minutes))
calendars = st.sampled_from(CALENDARS)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations)
def test_the_due_time_is_exactly_the_duration_of_working_time_later(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add(start, duration)
    assert calendar.between(start, due) == duration
    if duration:
        # never inside a closed period: working time runs right up to it (it may be a closing instant)
        assert calendar.is_open(due - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations, durations)
def test_adding_is_additive(calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    first = calendar.add(start, a)
    if b:
        assert calendar.add(first, b) == calendar.add(start, a + b)
    else:  # a zero-length clock is due at the next opening, even from the closing instant `first` may be
        assert calendar.add(first, b) == calendar.next_opening(first)


@settings(max_examples=100, deadline=None)
@given(calendars, instants, instants)
def test_between_splits_at_any_middle_instant(calendar: BusinessCalendar, a: datetime, b: datetime) -> None:
    start, end = min(a, b), max(a, b)
    middle = start + (end - start) / 2
    assert calendar.between(start, end) == calendar.between(start, middle) + calendar.between(middle, end)
