"""score(facts, model): which rules fire, the points, the grade, and why. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scoring.domain.facts import Facts
from scoring.domain.model import Condition, Grade, Rule, RuleModel


@dataclass(frozen=True)
class ScoreResult:
    score: int
    grade: Grade
    fit: int
    engagement: int
    model_version: str
    fired: tuple[Rule, ...]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def matches(condition: Condition, facts: Facts) -> bool:
    """Does one condition hold? Text compares case-insensitively; lists match on any element."""
    actual = facts.get(condition.field)
    op, expected = condition.op, condition.value
    if op == "exists":
        return actual not in (None, "", [], False)
    if op == "is_true":
        return actual is True
    if actual is None:
        return False
    if op in ("gte", "lte"):
        if not isinstance(actual, int | float):
            return False
        return bool(actual >= expected if op == "gte" else actual <= expected)
    values = [str(v).lower() for v in _as_list(actual)]
    wanted = [str(v).lower() for v in _as_list(expected)]
    if op == "equals":
        return any(v == wanted[0] for v in values) if wanted else False
    if op == "in":
        return any(v in wanted for v in values)
    if op == "contains_any":
        return any(w in v for v in values for w in wanted)
    raise ValueError(f"unknown operator {op!r}")


def grade_for(score: int, model: RuleModel) -> Grade:
    for grade, floor in model.grade_floors:
        if score >= floor:
            return grade
    return "D"


def score(facts: Facts, model: RuleModel, *, version: str | None = None) -> ScoreResult:
    """The score of these facts; `version` is the store's number for the model (its label if None)."""
    fired = tuple(rule for rule in model.rules if matches(rule.when, facts))
    fit = sum(rule.points for rule in fired if rule.kind == "fit")
    engagement = sum(rule.points for rule in fired if rule.kind == "engagement")
    total = max(0, min(model.max_score, fit + engagement))
    return ScoreResult(
        score=total,
        grade=grade_for(total, model),
        fit=fit,
        engagement=engagement,
        model_version=version if version is not None else model.version,
        fired=fired,
    )
