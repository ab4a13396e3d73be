"""The rule model marketing and sales agree on: data (a TOML file), read into frozen values."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["fit", "engagement"]
Operator = Literal["equals", "in", "contains_any", "gte", "lte", "exists", "is_true"]
OPERATORS: frozenset[str] = frozenset(Operator.__args__)  # type: ignore[attr-defined]
Grade = Literal["A", "B", "C", "D"]


@dataclass(frozen=True)
class Condition:
    field: str
    op: Operator
    value: Any = None


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    description: str
    points: int
    when: Condition


@dataclass(frozen=True)
class RuleModel:
    version: str
    rules: tuple[Rule, ...]
    # minimum total score for each grade, best first; below the last is D
    grade_floors: tuple[tuple[Grade, int], ...]
    max_score: int = 100


class InvalidRuleModel(ValueError):
    pass


def load_rule_model(text: str) -> RuleModel:
    """Parse and check a rule model; raises InvalidRuleModel naming what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRuleModel(f"not TOML: {exc}") from exc
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw.get("rules", [])):
        where = f"rules[{index}] ({item.get('id', '?')})"
        missing = {"id", "kind", "description", "points", "field", "op"} - set(item)
        if missing:
            raise InvalidRuleModel(f"{where}: missing {sorted(missing)}")
        if item["id"] in seen:
            raise InvalidRuleModel(f"{where}: duplicate id")
        if item["kind"] not in ("fit", "engagement"):
            raise InvalidRuleModel(f"{where}: kind must be fit or engagement")
        if item["op"] not in OPERATORS:
            raise InvalidRuleModel(f"{where}: op must be one of {sorted(OPERATORS)}")
        seen.add(item["id"])
        rules.append(
            Rule(
                id=item["id"],
                kind=item["kind"],
                description=item["description"],
                points=int(item["points"]),
                when=Condition(field=item["field"], op=item["op"], value=item.get("value")),
            )
        )
    grades = raw.get("grades", {})
    floors = tuple(sorted(((g, int(grades[g])) for g in ("A", "B", "C") if g in grades), key=lambda x: -x[1]))
    if "version" not in raw:
        raise InvalidRuleModel("missing version")
    return RuleModel(
        version=str(raw["version"]),
        rules=tuple(rules),
        grade_floors=floors,  # type: ignore[arg-type]
        max_score=int(raw.get("max_score", 100)),
    )
