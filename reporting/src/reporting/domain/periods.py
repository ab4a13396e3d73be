"""The periods aggregates are kept for — UTC days and months — and a window cut into them.
Pure.

A report's window is any two instants. It is answered from the largest whole periods inside it
(the funnel's months and days; attribution's days) and only what is left at its ends — less
than a day each side — is counted from the lead rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

Grain = Literal["day", "month"]
# largest first: a window takes its months, then its days
# No hours: the velocity histograms make an hour's funnel hundreds of rows (millions a year), and a
# report's partial first and last days count from the lead rows in one indexed scan.
FUNNEL_GRAINS: tuple[Grain, ...] = ("month", "day")
# attribution by day only: an hour's tallies (credits per model and key, transitions, key sets for
# four outcomes and five keys) are thousands of rows an hour on a busy system, tens of millions a
# year; a window's partial first and last days are counted live from the journeys instead
ATTRIBUTION_GRAINS: tuple[Grain, ...] = ("day",)


def period_of(at: datetime, grain: Grain) -> datetime:
    """The start of the UTC period holding `at`."""
    at = at.astimezone(UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if grain == "day" else day.replace(day=1)


def next_period(start: datetime, grain: Grain) -> datetime:
    if grain == "day":
        return start + timedelta(days=1)
    return (start + timedelta(days=32)).replace(day=1)


def _first_from(at: datetime, grain: Grain) -> datetime:
    """The first period of `grain` starting at or after `at`."""
    start = period_of(at, grain)
    return start if start == at else next_period(start, grain)


@dataclass
class Cut:
    """A window as whole periods per grain, and the pieces left to count live (none empty)."""

    periods: dict[Grain, list[datetime]] = field(default_factory=dict)
    live: list[tuple[datetime, datetime]] = field(default_factory=list)


def cut(start: datetime, end: datetime, grains: Sequence[Grain]) -> Cut:
    found = Cut({grain: [] for grain in grains})

    def split(low: datetime, high: datetime, level: int) -> None:
        if low >= high:
            return
        if level == len(grains):
            found.live.append((low, high))
            return
        grain = grains[level]
        first = here = _first_from(low, grain)
        while here < high and next_period(here, grain) <= high:
            found.periods[grain].append(here)
            here = next_period(here, grain)
        if here == first:  # no whole period of this grain inside
            split(low, high, level + 1)
            return
        split(low, first, level + 1)
        split(here, high, level + 1)

    split(start.astimezone(UTC), end.astimezone(UTC), 0)
    found.live.sort()
    return found
