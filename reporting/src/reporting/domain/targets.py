"""Monthly targets, and what they ask of any window: each month's target counts in proportion to
the part of the month the window covers (a month's 300 MQLs ask 100 of its first ten days of a
30-day month). A measure has a target for a window only when every month the window touches has
one — a partial sum would read as an easy goal. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal, get_args

Measure = Literal["leads", "mqls", "sqls", "won", "revenue"]
MEASURES: tuple[Measure, ...] = get_args(Measure)


@dataclass(frozen=True)
class MonthTarget:
    month: date  # the first of the month
    values: dict[Measure, Decimal]  # the measures this month has a target for


MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")  # YYYY-MM


def parse_month(text: str) -> date:
    """`YYYY-MM` as the first of that month; ValueError otherwise."""
    found = MONTH.match(text)
    if found is None or not 2000 <= int(found.group(1)) <= 2999:
        raise ValueError("a month is YYYY-MM, 2000 to 2999")
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def months_touched(start: datetime, to: datetime) -> list[date]:
    """The months [start, to) overlaps, in UTC."""
    months = []
    month = month_start(start.astimezone(UTC).date())
    while _instant(month) < to:
        months.append(month)
        month = next_month(month)
    return months


def _share(month: date, start: datetime, to: datetime) -> Decimal:
    """How much of the month [start, to) covers, 0 to 1."""
    begins, ends = _instant(month), _instant(next_month(month))
    covered = (min(to, ends) - max(start, begins)).total_seconds()
    return Decimal(covered) / Decimal((ends - begins).total_seconds())


def _measure_target(
    by_month: dict[date, MonthTarget], months: list[date], measure: Measure, start: datetime, to: datetime
) -> Decimal | None:
    total = Decimal(0)
    for month in months:
        target = by_month.get(month)
        if target is None or measure not in target.values:
            return None
        total += target.values[measure] * _share(month, start, to)
    places = Decimal("0.01") if measure == "revenue" else Decimal(1)
    return total.quantize(places, ROUND_HALF_EVEN)


def window_targets(
    targets: Sequence[MonthTarget], start: datetime, to: datetime
) -> dict[Measure, Decimal | None]:
    """Each measure's target for [start, to): counts to whole leads, revenue to cents."""
    by_month = {t.month: t for t in targets}
    months = months_touched(start, to)
    return {
        measure: _measure_target(by_month, months, measure, start, to) if months else None
        for measure in MEASURES
    }
