"""First-order Markov attribution (data-driven), by exact linear algebra. Pure.

States: `start`, one per key, and the absorbing `conversion` and `null`. Every journey, converting
or not, walks start → its keys (consecutive repeats collapsed) → conversion or null; transition
probabilities are the walked transitions' shares of each state's way out. P, the chance of reaching
conversion from start, solves (I - Q) x = r over the transient states (Q: transient → transient,
r: transient → conversion). Removing key c sends every transition into c to null, which is x_c = 0:
P₋c. Removal effect RE(c) = 1 - P₋c / P; key c's credit is RE(c) / Σ RE of the conversions (and of
the revenue).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from reporting.domain.journeys import Credits, Journey

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


@dataclass(frozen=True)
class MarkovModel:
    conversion_probability: float
    removal_effects: dict[str, float]
    transitions: dict[str, dict[str, float]]  # from state → to state → probability


def _paths(journeys: Sequence[Journey]) -> Counter[tuple[str, ...]]:
    paths: Counter[tuple[str, ...]] = Counter()
    for journey in journeys:
        keys: list[str] = []
        for touch in journey.touches:
            if not keys or keys[-1] != touch.key:
                keys.append(touch.key)
        paths[(START, *keys, CONVERSION if journey.converted else NULL)] += 1
    return paths


def _probability(states: list[str], q: np.ndarray, r: np.ndarray, removed: int | None = None) -> float:
    """P(conversion) from start (index 0); with `removed`, that state leads only to null."""
    q, r = q.copy(), r.copy()
    if removed is not None:
        q[:, removed] = 0.0  # every way into it now ends in null
        q[removed, :] = 0.0
        r[removed] = 0.0
    x = np.linalg.solve(np.eye(len(states)) - q, r)
    return float(x[0])


def transition_counts(journeys: Sequence[Journey]) -> Counter[tuple[str, str]]:
    """How often each transition was walked: what Markov learns, additive over any split of the
    journeys (so days can be counted apart and summed)."""
    counts: Counter[tuple[str, str]] = Counter()
    for path, times in _paths(journeys).items():
        for here, there in pairwise(path):
            counts[(here, there)] += times
    return counts


def markov(journeys: Sequence[Journey]) -> MarkovModel:
    return markov_from_counts(transition_counts(journeys))


def markov_from_counts(counts: Counter[tuple[str, str]]) -> MarkovModel:
    if not counts:
        return MarkovModel(0.0, {}, {})
    keys = sorted({state for pair in counts for state in pair if state not in (START, CONVERSION, NULL)})
    states = [START, *keys]
    index = {state: i for i, state in enumerate(states)}
    out: Counter[str] = Counter()
    for (here, _), times in counts.items():
        out[here] += times
    q = np.zeros((len(states), len(states)))
    r = np.zeros(len(states))
    transitions: dict[str, dict[str, float]] = {}
    for (here, there), times in sorted(counts.items()):
        share = times / out[here]
        transitions.setdefault(here, {})[there] = round(share, 6)
        if there == CONVERSION:
            r[index[here]] = share
        elif there != NULL:
            q[index[here], index[there]] = share
    probability = _probability(states, q, r)
    effects = {
        key: (1 - _probability(states, q, r, index[key]) / probability) if probability > 0 else 0.0
        for key in keys
    }
    return MarkovModel(probability, effects, transitions)


def markov_credits(model: MarkovModel, conversions: int, revenue: float) -> Credits:
    """The conversions and revenue of the converting journeys, over the keys by removal effect."""
    credits = Credits()
    total = sum(model.removal_effects.values())
    if total <= 0:
        return credits
    for key, effect in model.removal_effects.items():
        credits.conversions[key] += effect / total * conversions
        credits.revenue_share[key] += effect / total * revenue
    return credits
