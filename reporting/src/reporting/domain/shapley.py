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
from itertools import combinations
from math import factorial

from reporting.domain.journeys import NONE_KEY, Credits, Journey

MAX_PLAYERS = 12


def _rates(journeys: Sequence[Journey]) -> dict[frozenset[str], float]:
    seen: dict[frozenset[str], list[int]] = defaultdict(lambda: [0, 0])
    for journey in journeys:
        counts = seen[frozenset(t.key for t in journey.touches)]
        counts[0] += 1
        counts[1] += journey.converted
    return {players: converted / total for players, (total, converted) in seen.items() if converted}


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
    """The credits, and each key's Shapley value summed over the sets it played in."""
    worth = _rates(journeys)
    by_set: dict[frozenset[str], list[Journey]] = defaultdict(list)
    for journey in journeys:
        if journey.converted:
            by_set[frozenset(t.key for t in journey.touches) or frozenset({NONE_KEY})].append(journey)
    credits = Credits()
    values: dict[str, float] = defaultdict(float)
    for players, converted in sorted(by_set.items(), key=lambda item: sorted(item[0])):
        phi = (
            shapley_values(players, worth)
            if len(players) <= MAX_PLAYERS and players != {NONE_KEY}
            else dict.fromkeys(players, 1.0)
        )
        total = sum(phi.values())
        shares = {p: v / total for p, v in phi.items()} if total else {p: 1 / len(players) for p in players}
        for player, value in phi.items():
            values[player] += value
        for journey in converted:
            for player, share in shares.items():
                credits.add(player, share, journey)
    return credits, dict(values)
