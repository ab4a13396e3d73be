"""Shapley-value attribution (data-driven). Pure.

For each distinct set K of keys seen in converting journeys, the players are K and the worth of a
coalition S ⊆ K is v(S) = the conversion rate of the journeys whose set of distinct keys is exactly
S (0 when no such journey converted; v(∅) = 0). φᵢ = Σ over S ⊆ K without i of |S|!·(|K|-|S|-1)!/|K|! ·
(v(S + i) - v(S)). The conversions (and revenue) of the journeys whose set is K are split over K
in proportion to φ — a negative φ takes credit away, and the split still sums to what K converted;
when Σφ is 0 the split is equal. A set of more than MAX_PLAYERS keys (2^k coalitions) is split
equally.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from math import factorial

from reporting.domain.journeys import NONE_KEY, Credits, Journey

MAX_PLAYERS = 12


@dataclass
class SetStats:
    """The journeys whose set of distinct keys is one set: how many, how many converted, revenue."""

    journeys: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal(0)


def set_stats(journeys: Sequence[Journey]) -> dict[frozenset[str], SetStats]:
    """What Shapley learns, additive over any split of the journeys."""
    stats: dict[frozenset[str], SetStats] = defaultdict(SetStats)
    for journey in journeys:
        found = stats[frozenset(t.key for t in journey.touches) or frozenset({NONE_KEY})]
        found.journeys += 1
        if journey.converted:
            found.conversions += 1
            found.revenue += journey.revenue
    return dict(stats)


def shapley_values(players: frozenset[str], worth: dict[frozenset[str], float]) -> dict[str, float]:
    n = len(players)
    values: dict[str, float] = {}
    for player in sorted(players):
        others = sorted(players - {player})
        value = 0.0
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for coalition in combinations(others, size):
                without = frozenset(coalition)
                value += weight * (worth.get(without | {player}, 0.0) - worth.get(without, 0.0))
        values[player] = value
    return values


def shapley_credits(journeys: Sequence[Journey]) -> tuple[Credits, dict[str, float]]:
    return shapley_from_sets(set_stats(journeys))


def shapley_from_sets(stats: dict[frozenset[str], SetStats]) -> tuple[Credits, dict[str, float]]:
    """The credits, and each key's Shapley value summed over the sets it played in."""
    worth = {players: s.conversions / s.journeys for players, s in stats.items() if s.conversions}
    worth.pop(frozenset({NONE_KEY}), None)
    credits = Credits()
    values: dict[str, float] = defaultdict(float)
    for players, found in sorted(stats.items(), key=lambda item: sorted(item[0])):
        if not found.conversions:
            continue
        phi = (
            shapley_values(players, worth)
            if len(players) <= MAX_PLAYERS and players != {NONE_KEY}
            else dict.fromkeys(players, 1.0)
        )
        total = sum(phi.values())
        shares = {p: v / total for p, v in phi.items()} if total else {p: 1 / len(players) for p in players}
        for player, value in phi.items():
            values[player] += value
        for player, share in shares.items():
            credits.conversions[player] += share * found.conversions
            credits.revenue_share[player] += share * float(found.revenue)
    return credits, dict(values)
