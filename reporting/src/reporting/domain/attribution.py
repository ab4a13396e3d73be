"""Multi-touch attribution: every model asked for, over the same journeys, side by side. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from reporting.domain.journeys import Credit, Journey, finish, totals
from reporting.domain.markov import MarkovModel, markov, markov_credits
from reporting.domain.shapley import shapley_credits

Model = Literal[
    "first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay", "markov", "shapley"
]
MODELS: tuple[Model, ...] = get_args(Model)
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


def attribute(
    journeys: Sequence[Journey],
    models: Sequence[Model] = MODELS,
    *,
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
) -> Attribution:
    conversions, revenue = totals(journeys)
    rules = {
        "first_touch": first_touch,
        "last_touch": last_touch,
        "linear": linear,
        "u_shaped": u_shaped,
        "w_shaped": w_shaped,
        "time_decay": time_decay(half_life_hours),
    }
    found: dict[Model, list[Credit]] = {}
    chain = None
    for model in models:
        if model == "markov":
            chain = markov(journeys)
            found[model] = finish(markov_credits(chain, journeys), revenue)
        elif model == "shapley":
            found[model] = finish(shapley_credits(journeys)[0], revenue)
        else:
            found[model] = finish(credit(journeys, rules[model]), revenue)
    return Attribution(len(journeys), conversions, revenue, found, chain)
