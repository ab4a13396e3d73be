"""Reporting periods as people name them — `2026-11`, `2026-W47`, `2026-Q4` — as UTC ranges. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from leadkit.bounds import EARLIEST, LATEST

PeriodKind = Literal["week", "month", "quarter"]
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    name: str
    kind: PeriodKind
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def parse_period(text: str) -> Period:
    """`2026-11` (a month), `2026-W47` (an ISO week), `2026-Q4` (a quarter), in 1970 to 2099 (the
    instants leadloop takes, `leadkit.bounds`)."""
    year_text = text[:4]
    if year_text.isdigit() and not EARLIEST.year <= int(year_text) < LATEST.year:
        raise InvalidPeriod(f"{text!r}: a period's year is from {EARLIEST.year} to {LATEST.year - 1}")
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"{text!r}: no month {month}")
        return Period(text, "month", _month_start(year, month), _month_start(year, month + 1))
    if match := _WEEK.match(text):
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError as error:
            raise InvalidPeriod(f"{text!r}: {error}") from None
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return Period(text, "week", start, start + timedelta(days=7))
    if match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        return Period(text, "quarter", _month_start(year, first), _month_start(year, first + 3))
    raise InvalidPeriod(
        f"{text!r} is not a period: give 2026-11 (month), 2026-W47 (week) or 2026-Q4 (quarter)"
    )


def current_month(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"
