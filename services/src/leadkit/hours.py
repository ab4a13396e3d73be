"""Weekly working hours as text people write — `mon-fri 09:00-17:00; sat 10:00-13:00` — and IANA
time zones. Pure; shared by routing (reps' hours) and sla-monitor (business calendars)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHIFT = re.compile(r"^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


class InvalidHours(ValueError):
    pass


@dataclass(frozen=True)
class Shift:
    """One working stretch on one weekday (0 = Monday), start inclusive, end exclusive, local time."""

    weekday: int
    start: time
    end: time  # time.max for a shift that runs to midnight ("24:00")


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if (hours, minutes) == (24, 0):
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidHours(f"{text!r} is not a time of day")
    return time(hours, minutes)


def parse_hours(text: str) -> tuple[Shift, ...]:
    """'mon-fri 09:00-17:30; sat 10:00-14:00' as shifts. Empty text: no limit (always working)."""
    shifts: list[Shift] = []
    for part in (p for p in re.split(r"[;,]", text.lower()) if p.strip()):
        match = _SHIFT.match(part)
        if match is None:
            raise InvalidHours(f"{part.strip()!r} is not like 'mon-fri 09:00-17:00'")
        first, last, start, end = match.groups()
        if first not in WEEKDAYS or (last or first) not in WEEKDAYS:
            raise InvalidHours(f"{part.strip()!r}: weekdays are {', '.join(WEEKDAYS)}")
        begin, finish = _clock(start), _clock(end)
        if finish <= begin:
            raise InvalidHours(f"{part.strip()!r}: a shift ends after it starts (split overnight shifts)")
        low, high = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days = range(low, high + 1) if low <= high else [*range(low, 7), *range(0, high + 1)]
        shifts.extend(Shift(day, begin, finish) for day in days)
    return tuple(shifts)


def check_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidHours(f"{name!r} is not an IANA time zone such as Europe/Berlin") from error


def _hours_as_field(value: str) -> str:
    try:
        parse_hours(value)
    except InvalidHours as error:  # pydantic reports a ValueError as the field's problem
        raise ValueError(str(error)) from error
    return value.strip()


def _zone_as_field(value: str) -> str:
    try:
        check_timezone(value)
    except InvalidHours as error:
        raise ValueError(str(error)) from error
    return value


# For request models: the text is checked where it is received, so a 422 names the field.
HoursText = Annotated[str, Field(max_length=500), AfterValidator(_hours_as_field)]
TimezoneName = Annotated[str, Field(max_length=64), AfterValidator(_zone_as_field)]
