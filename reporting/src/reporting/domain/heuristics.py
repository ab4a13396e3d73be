"""Rule-based attribution models: each gives every touch of a converting journey a weight, the
weights of a journey summing to 1, and credits the touch's key with that share of the journey's
conversion and revenue. Pure; the formulas are docs/reports.md's (Attribution).

A converting journey without touches (an outcome dated before any touch) credits `(none)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reporting.domain.journeys import NONE_KEY, Credits, Journey

Weights = Callable[[Journey], list[float]]
HOUR = 3600.0


def first_touch(journey: Journey) -> list[float]:
    return [1.0] + [0.0] * (len(journey.touches) - 1)


def last_touch(journey: Journey) -> list[float]:
    return [0.0] * (len(journey.touches) - 1) + [1.0]


def linear(journey: Journey) -> list[float]:
    n = len(journey.touches)
    return [1.0 / n] * n


def u_shaped(journey: Journey) -> list[float]:
    """One touch 100 %; two 50/50; three or more 40 % first, 40 % last, 20 % over the middle."""
    n = len(journey.touches)
    if n <= 2:
        return [1.0 / n] * n
    return [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]


def w_shaped(journey: Journey) -> list[float]:
    """30 % each to three positions — the first touch, the touch that made the lead, the last touch
    before the opportunity (before the outcome when the lead reached none) — and 10 % shared by the
    other touches. A touch holding several positions takes 30 % for each; with no other touches
    the 10 % is shared by the three positions alike (so a touch holding k of them gets k/3)."""
    touches = journey.touches
    n = len(touches)
    created = next((i for i, t in enumerate(touches) if t.created_lead), 0)
    cutoff = journey.opportunity_at
    before = [i for i, t in enumerate(touches) if cutoff is None or t.at <= cutoff]
    pivot = before[-1] if before else n - 1
    positions = (0, created, pivot)
    weights = [0.0] * n
    rest = [i for i in range(n) if i not in positions]
    for index in positions:
        weights[index] += 0.3 if rest else 1 / 3
    for index in rest:
        weights[index] += 0.1 / len(rest)
    return weights


def time_decay(half_life_hours: float) -> Weights:
    """Weight 0.5^(hours before the outcome / half-life), normalized within the journey."""

    def weights(journey: Journey) -> list[float]:
        end = journey.outcome_at or journey.touches[-1].at
        raw = [
            0.5 ** (max((end - t.at).total_seconds(), 0.0) / HOUR / half_life_hours) for t in journey.touches
        ]
        total = sum(raw)
        return [w / total for w in raw]

    return weights


def credit(journeys: Sequence[Journey], weights: Weights) -> Credits:
    """Each converting journey's conversion and revenue, shared over its touches' keys."""
    credits = Credits()
    for journey in journeys:
        if not journey.converted:
            continue
        if not journey.touches:
            credits.add(NONE_KEY, 1.0, journey)
            continue
        for touch, weight in zip(journey.touches, weights(journey), strict=True):
            credits.add(touch.key, weight, journey)
    return credits
