"""The rule model marketing and sales agree on: a versioned document (leadkit.policies), read into
frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leadkit.policies import InvalidPolicy, PolicyKind, Problem, problems_of, read_document

Kind = Literal["fit", "engagement"]
Operator = Literal["equals", "in", "contains_any", "gte", "lte", "exists", "is_true"]
OPERATORS: frozenset[str] = frozenset(Operator.__args__)  # type: ignore[attr-defined]
Grade = Literal["A", "B", "C", "D"]
DEFAULT_MODEL = Path(__file__).parents[1] / "rules" / "default.toml"


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


# The facts `fold_captured` keeps: a rule on anything else could never fire, so it is refused.
FACTS: frozenset[str] = frozenset(
    {
        "job_title", "company", "company_size", "industry", "country", "email_domain", "employees",
        "has_phone", "paid_click", "touch_count", "forms", "mediums",
    }
)  # fmt: skip


class _RuleDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: Kind
    description: str
    points: int
    field: str
    op: Operator
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_fact(cls, value: str) -> str:
        if value not in FACTS:
            raise ValueError(f"unknown fact {value!r}; known: {', '.join(sorted(FACTS))}")
        return value


class _ModelDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(default="", description="a label of your own; the store numbers versions")
    max_score: int = Field(default=100, gt=0)
    grades: dict[Literal["A", "B", "C"], int] = Field(default_factory=dict)
    rules: list[_RuleDocument] = Field(default_factory=list)


def parse_rule_model(document: dict[str, Any]) -> RuleModel:
    """A model document as values; InvalidPolicy names the path of every wrong part."""
    problems = _duplicate_ids(document.get("rules"))
    try:
        parsed = _ModelDocument.model_validate(document)
    except ValidationError as error:
        raise InvalidPolicy(problems_of(error) + problems) from error
    floors = sorted(parsed.grades.items(), key=lambda item: -item[1])
    if [grade for grade, _ in floors] != sorted(parsed.grades):
        problems.append(Problem("grades", "floors must fall from A to C (A highest)"))
    if problems:
        raise InvalidPolicy(problems)
    return RuleModel(
        version=parsed.version,
        rules=tuple(
            Rule(
                id=rule.id,
                kind=rule.kind,
                description=rule.description,
                points=rule.points,
                when=Condition(field=rule.field, op=rule.op, value=rule.value),
            )
            for rule in parsed.rules
        ),
        grade_floors=tuple(floors),
        max_score=parsed.max_score,
    )


def _duplicate_ids(rules: Any) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            if rule["id"] in seen:
                problems.append(Problem(f"rules[{index}].id", f"duplicate id {rule['id']!r}"))
            seen.add(rule["id"])
    return problems


def load_rule_model(text: str) -> RuleModel:
    """Parse and check a TOML rule model; raises InvalidPolicy naming what is wrong."""
    return parse_rule_model(read_document(text, "toml"))


def rule_models(default_document: Path = DEFAULT_MODEL) -> PolicyKind[RuleModel]:
    """Scoring's kind of versioned policy; `default_document` becomes version 1 of an empty store."""
    return PolicyKind(name="scoring-model", parse=parse_rule_model, default_document=default_document)
