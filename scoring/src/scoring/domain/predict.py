"""The classifier fitted on outcomes, as plain values: features of a lead, and the chance that it
reaches SQL and that it is won. Fitting is scikit-learn's (scoring.learning); predicting is a dot
product and a sigmoid, so the hot path needs neither numpy nor a pickled estimator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scoring.domain.facts import Facts
from scoring.domain.score import Score


def features(facts: Facts, score: Score) -> dict[str, float]:
    """What the classifier sees: the rules that fired (touch rules by how many touches they
    counted), fit and engagement in hundreds, and the grade and level as indicators."""
    values: dict[str, float] = {
        "fit": score.fit / 100,
        "engagement": score.engagement / 100,
        f"grade:{score.grade}": 1.0,
        f"level:{score.level}": 1.0,
    }
    for hit in score.hits:
        if hit.kind != "cap":
            values[f"rule:{hit.rule_id}"] = float(hit.times or 1)
    if facts.get("has_phone"):
        values["has_phone"] = 1.0
    return values


@dataclass(frozen=True)
class Calibrated:
    """Logistic regression w·x + c, then Platt's sigmoid: p = 1 / (1 + exp(a·f + b))."""

    weights: tuple[float, ...]
    intercept: float
    a: float
    b: float

    def probability(self, x: Sequence[float]) -> float:
        f = sum(w * v for w, v in zip(self.weights, x, strict=True)) + self.intercept
        z = self.a * f + self.b
        return 1.0 / (1.0 + math.exp(z)) if z > -700 else 1.0


@dataclass(frozen=True)
class Predictor:
    id: int
    names: tuple[str, ...]
    sql: Calibrated
    won: Calibrated | None  # None when the outcomes held too few wins to fit it

    def predict(self, facts: Facts, score: Score) -> tuple[float, float]:
        values = features(facts, score)
        x = [values.get(name, 0.0) for name in self.names]
        return round(self.sql.probability(x), 4), round(self.won.probability(x), 4) if self.won else 0.0

    def parameters(self) -> dict[str, Any]:
        def of(c: Calibrated | None) -> dict[str, Any] | None:
            return (
                None
                if c is None
                else {"weights": list(c.weights), "intercept": c.intercept, "a": c.a, "b": c.b}
            )

        return {"names": list(self.names), "sql": of(self.sql), "won": of(self.won)}

    @classmethod
    def from_parameters(cls, id: int, parameters: dict[str, Any]) -> Predictor:
        def of(raw: dict[str, Any] | None) -> Calibrated | None:
            if raw is None:
                return None
            return Calibrated(tuple(raw["weights"]), raw["intercept"], raw["a"], raw["b"])

        sql = of(parameters["sql"])
        assert sql is not None
        return cls(id=id, names=tuple(parameters["names"]), sql=sql, won=of(parameters.get("won")))
