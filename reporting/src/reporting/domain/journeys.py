"""Journeys and credits: what every attribution model takes and gives. Pure.

A journey is one lead's touches up to its outcome, in time order, each named by the key the report
groups by (its channel, source, medium, campaign or content). A model turns journeys into credits
per key: a share of the conversions (floats) and of the revenue (exact cents). Every model's
credits sum to the totals: conversions up to float rounding, revenue to the cent, because revenue
is apportioned by largest remainder (`apportion`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

NONE_KEY = "(none)"
CENT = Decimal("0.01")


class TouchPoint(NamedTuple):  # a tuple: a year of journeys is millions of these
    at: datetime
    key: str
    created_lead: bool = False  # the touch that made the lead (W-shaped's second position)


class Journey(NamedTuple):
    touches: tuple[TouchPoint, ...]  # in time order, up to the outcome
    converted: bool
    revenue: Decimal = Decimal(0)
    outcome_at: datetime | None = None
    opportunity_at: datetime | None = None  # W-shaped's third position: the last touch before it


@dataclass
class Credits:
    """Conversions and revenue credited per key, as a model accumulates them."""

    conversions: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    revenue_share: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, key: str, weight: float, journey: Journey) -> None:
        self.conversions[key] += weight
        self.revenue_share[key] += weight * float(journey.revenue)


@dataclass(frozen=True)
class Credit:
    key: str
    conversions: float
    revenue: Decimal


def apportion(total: Decimal, shares: Mapping[str, float]) -> dict[str, Decimal]:
    """`total` split over the keys in proportion to `shares`, in cents that sum to it exactly
    (largest remainder). Negative shares (Shapley can give them) are kept as they are."""
    weight = sum(shares.values())
    if not shares or weight == 0:
        return dict.fromkeys(shares, Decimal(0))
    cents = int((total / CENT).to_integral_value())
    exact = {key: cents * share / weight for key, share in shares.items()}
    floored = {
        key: int(Decimal(value).to_integral_value(rounding=ROUND_FLOOR)) for key, value in exact.items()
    }
    left = cents - sum(floored.values())
    by_remainder = sorted(shares, key=lambda key: (-(exact[key] - floored[key]), key))
    for key in by_remainder[: max(left, 0)]:
        floored[key] += 1
    return {key: Decimal(value) * CENT for key, value in floored.items()}


def finish(credits: Credits, total_revenue: Decimal) -> list[Credit]:
    """The credits as rows, largest first; revenue in exact cents summing to the total. A key that
    got neither conversions nor revenue (a weight of 0, as first touch gives later touches) is left
    out."""
    revenue = apportion(total_revenue, credits.revenue_share)
    rows = [
        Credit(key, round(value, 6), revenue[key])
        for key, value in credits.conversions.items()
        if round(value, 6) != 0 or revenue[key] != 0  # a key touched but given nothing is no row
    ]
    return sorted(rows, key=lambda c: (-c.conversions, c.key))


def totals(journeys: Iterable[Journey]) -> tuple[int, Decimal]:
    converted = [j for j in journeys if j.converted]
    return len(converted), sum((j.revenue for j in converted), Decimal(0))


def keys_of(journey: Journey) -> Sequence[str]:
    return [touch.key for touch in journey.touches]
