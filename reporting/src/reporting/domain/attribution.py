"""Multi-touch attribution: every model asked for, over the same journeys, side by side. Pure.

Everything a model needs from a set of journeys is additive over any split of them — the rule
models' credits, Markov's transition counts, Shapley's key-set counts, the totals — so a `Tally`
of each day's journeys can be kept and a window's answer summed from its days (aggregates.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

from reporting.domain.heuristics import (
    credit,
    first_touch,
    last_touch,
    linear,
    time_decay,
    u_shaped,
    w_shaped,
)
from reporting.domain.journeys import Credit, Credits, Journey, finish
from reporting.domain.markov import MarkovModel, markov_credits, markov_from_counts, transition_counts
from reporting.domain.shapley import SetStats, set_stats, shapley_from_sets

Model = Literal[
    "first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley"
]
MODELS: tuple[Model, ...] = get_args(Model)
RULE_MODELS: tuple[Model, ...] = MODELS[:6]
Outcome = Literal["won", "opportunity", "sql", "mql"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
AttributionKey = Literal["channel", "source", "medium", "campaign", "content"]
ATTRIBUTION_KEYS: tuple[AttributionKey, ...] = get_args(AttributionKey)
DEFAULT_HALF_LIFE_HOURS = 7 * 24.0


@dataclass(frozen=True)
class Attribution:
    journeys: int
    conversions: int
    revenue: Decimal
    models: dict[Model, list[Credit]]
    markov: MarkovModel | None


@dataclass
class Tally:
    """What the models learn from some journeys, additive: credits of the rule models (time decay
    at one half-life), Markov's transitions, Shapley's key sets (which also hold the totals)."""

    rules: dict[Model, Credits] = field(default_factory=dict)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    sets: dict[frozenset[str], SetStats] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for model, credits in other.rules.items():
            mine = self.rules.setdefault(model, Credits())
            for key, value in credits.conversions.items():
                mine.conversions[key] += value
            for key, value in credits.revenue_share.items():
                mine.revenue_share[key] += value
        self.transitions.update(other.transitions)
        for players, stats in other.sets.items():
            mine_stats = self.sets.setdefault(players, SetStats())
            mine_stats.journeys += stats.journeys
            mine_stats.conversions += stats.conversions
            mine_stats.revenue += stats.revenue

    @property
    def journeys(self) -> int:
        return sum(s.journeys for s in self.sets.values())

    @property
    def conversions(self) -> int:
        return sum(s.conversions for s in self.sets.values())

    @property
    def revenue(self) -> Decimal:
        return sum((s.revenue for s in self.sets.values()), Decimal(0))


def tally(
    journeys: Sequence[Journey],
    *,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
    models: Iterable[Model] = MODELS,
) -> Tally:
    rules = {
        "first_touch": first_touch,
        "last_touch": last_touch,
        "linear": linear,
        "u_shaped": u_shaped,
        "w_shaped": w_shaped,
        "time_decay": time_decay(half_life_hours),
    }
    wanted = set(models)
    return Tally(
        rules={model: credit(journeys, rules[model]) for model in RULE_MODELS if model in wanted},
        transitions=transition_counts(journeys) if "markov" in wanted else Counter(),
        sets=set_stats(journeys),
    )


def attribute_tally(found: Tally, models: Sequence[Model] = MODELS) -> Attribution:
    conversions, revenue = found.conversions, found.revenue
    results: dict[Model, list[Credit]] = {}
    chain = None
    for model in models:
        if model == "markov":
            chain = markov_from_counts(found.transitions)
            results[model] = finish(markov_credits(chain, conversions, float(revenue)), revenue)
        elif model == "shapley":
            results[model] = finish(shapley_from_sets(found.sets)[0], revenue)
        else:
            results[model] = finish(found.rules.get(model, Credits()), revenue)
    return Attribution(found.journeys, conversions, revenue, results, chain)


def attribute(
    journeys: Sequence[Journey],
    models: Sequence[Model] = MODELS,
    *,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
) -> Attribution:
    return attribute_tally(tally(journeys, half_life_hours=half_life_hours, models=models), models)
