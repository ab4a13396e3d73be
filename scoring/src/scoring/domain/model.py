"""The scoring model marketing and sales agree on: a versioned document (leadkit.policy_document),
read into frozen values. The format is documented in docs/scoring.md ("The model format") and in
the default document, rules/default.toml.

Past 300 lines on purpose: the document's shape (pydantic), every check that names a wrong part,
and the frozen values it becomes are read side by side when the format changes; the glob
matcher and the bounds live in the kit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from leadkit.globs import compile_globs, globs_of
from leadkit.policy_document import InvalidPolicy, PolicyKind, Problem, problems_of, read_document

Kind = Literal["fit", "engagement", "negative"]
Operator = Literal["equals", "in", "contains_any", "gte", "lte", "exists", "is_true"]
Grade = Literal["A", "B", "C", "D"]
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")
DEFAULT_MODEL = Path(__file__).parents[1] / "rules" / "default.toml"

# The person facts `fold_captured` keeps: a rule on anything else could never fire, so it is
# refused. `attributes.<name>` reads a field the form sent that leadloop has no column for.
FACTS: frozenset[str] = frozenset(
    {
        "job_title", "company", "company_size", "industry", "country", "email_domain", "employees",
        "has_phone", "free_email", "paid_click", "touch_count", "forms", "mediums",
    }
)  # fmt: skip
# The touch fields an engagement rule may match, each against a list of case-insensitive
# patterns (`*` any run of characters, `?` one character).
TOUCH_FIELDS: tuple[str, ...] = (
    "type", "form_id", "content", "page_url", "source", "medium", "campaign", "channel",
)  # fmt: skip
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_HALF_LIFE_SECONDS = 3653 * 86400  # ten years: decay dates stay far inside the calendar


def half_life_seconds(text: str) -> float:
    """'30d' → 2592000.0; units s, m, h, d, w. ValueError when not a positive duration."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as '30d', '12h', '90s'")
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a half-life must be greater than zero")
    if seconds > MAX_HALF_LIFE_SECONDS:
        raise ValueError("a half-life is at most 10 years")
    return seconds


def _checked_half_life(text: str) -> str:
    half_life_seconds(text)
    return text


HalfLife = Annotated[str, AfterValidator(_checked_half_life)]


@dataclass(frozen=True)
class Condition:
    """A test on one person fact."""

    field: str
    op: Operator
    value: Any = None


@dataclass(frozen=True)
class TouchPattern:
    """A test on a touch: every named field must match one of its patterns (case-insensitive)."""

    fields: tuple[tuple[str, re.Pattern[str]], ...]

    def matches(self, touch: Any) -> bool:
        for name, pattern in self.fields:
            value = getattr(touch, name)
            if value is None or pattern.match(value.lower()) is None:
                return False
        return True


def touch_pattern(spec: dict[str, str | list[str]]) -> TouchPattern:
    """`{"page_url": ["*/pricing*"]}` → each field's globs as one compiled, lowercase regex."""
    return TouchPattern(tuple((name, compile_globs(globs_of(globs))) for name, globs in spec.items()))


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    description: str
    points: int
    when: Condition | None = None  # on person facts (fit, negative)
    touch: TouchPattern | None = None  # on touches (engagement, negative)
    max_times: int | None = None  # count at most this many matching touches (the latest ones)
    group: str | None = None
    half_life: float | None = None  # seconds; None: does not decay

    @property
    def on_touches(self) -> bool:
        return self.touch is not None


@dataclass(frozen=True)
class Group:
    name: str
    cap: int | None = None  # the group's engagement points never exceed this
    half_life: float | None = None  # for its rules that set none


@dataclass(frozen=True)
class GradeBand:
    grade: Grade
    min: int | None  # fit ≥ min (None: unbounded)
    max: int | None  # fit < max (None: unbounded)

    def holds(self, fit: int) -> bool:
        return (self.min is None or fit >= self.min) and (self.max is None or fit < self.max)


@dataclass(frozen=True)
class RuleModel:
    label: str
    rules: tuple[Rule, ...]
    groups: tuple[Group, ...]
    grades: tuple[GradeBand, ...]  # A first; a fit in no band is D
    # engagement levels, highest first, with the least engagement points each needs; an
    # engagement below every floor takes the last level
    levels: tuple[tuple[str, int], ...]
    qualified: frozenset[tuple[Grade, str]]  # the (grade, level) cells that are MQLs
    reset_engagement_on_recycle: bool = True

    @property
    def fact_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if not rule.on_touches)

    @property
    def touch_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.on_touches)

    def group(self, name: str | None) -> Group | None:
        return next((g for g in self.groups if g.name == name), None)


class _RuleDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    kind: Kind
    description: str = ""
    points: int
    field: str | None = None
    op: Operator | None = None
    value: Any = None
    touch: dict[str, str | list[str]] | None = None
    max_times: int | None = Field(default=None, gt=0)
    group: str | None = None
    half_life: HalfLife | None = None

    @field_validator("field")
    @classmethod
    def _known_fact(cls, value: str | None) -> str | None:
        if value is not None and value not in FACTS and not value.startswith("attributes."):
            raise ValueError(f"unknown fact {value!r}; known: {', '.join(sorted(FACTS))}, attributes.<name>")
        return value

    @field_validator("touch")
    @classmethod
    def _known_touch_fields(
        cls, value: dict[str, str | list[str]] | None
    ) -> dict[str, str | list[str]] | None:
        for name, patterns in (value or {}).items():
            if name not in TOUCH_FIELDS:
                raise ValueError(f"unknown touch field {name!r}; known: {', '.join(TOUCH_FIELDS)}")
            if not patterns:
                raise ValueError(f"touch field {name!r} needs at least one pattern")
        if value is not None and not value:
            raise ValueError("a touch condition names at least one field")
        return value

    @model_validator(mode="after")
    def _one_condition(self) -> _RuleDocument:
        on_facts = self.field is not None or self.op is not None
        if on_facts and self.touch is not None:
            raise ValueError("a rule tests either a fact (field, op) or a touch (touch), not both")
        if self.touch is None:
            if self.kind == "engagement":
                raise ValueError("an engagement rule tests touches: give it `touch`")
            if self.field is None or self.op is None:
                raise ValueError("a fit or negative rule needs `field` and `op` (or `touch`)")
            if self.op not in ("exists", "is_true") and self.value is None:
                raise ValueError(f"operator {self.op!r} needs a `value`")
            if self.op in ("gte", "lte") and not isinstance(self.value, int | float):
                raise ValueError(f"operator {self.op!r} compares with a number")
            for name in ("max_times", "group", "half_life"):
                if getattr(self, name) is not None:
                    raise ValueError(f"`{name}` applies to rules on touches only")
        if self.kind == "negative" and self.points >= 0:
            raise ValueError("a negative rule subtracts: its points must be below zero")
        if self.kind == "engagement" and self.points <= 0:
            raise ValueError("an engagement rule adds: its points must be above zero (use kind = 'negative')")
        return self


class _GroupDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cap: int | None = Field(default=None, gt=0)
    half_life: HalfLife | None = None


class _BandDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: int | None = None
    max: int | None = None


class _DecayDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    half_life: HalfLife | None = Field(default=None, description="for touch rules whose group sets none")


class _RecycleDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engagement: Literal["reset", "keep"] = "reset"


class _ModelDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", description="a name of your own; the store numbers versions")
    grades: dict[Literal["A", "B", "C", "D"], int | _BandDocument] = Field(default_factory=dict)
    levels: dict[str, int] = Field(min_length=1)
    qualification: dict[Literal["A", "B", "C", "D"], list[str]] = Field(default_factory=dict)
    decay: _DecayDocument = Field(default_factory=_DecayDocument)
    groups: dict[str, _GroupDocument] = Field(default_factory=dict)
    recycle: _RecycleDocument = Field(default_factory=_RecycleDocument)
    rules: list[_RuleDocument] = Field(default_factory=list)


def parse_rule_model(document: dict[str, Any]) -> RuleModel:
    """A model document as values; InvalidPolicy names the path of every wrong part at once: the
    fields that do not validate, and the bands, levels, matrix and groups that do not fit together
    (each checked as soon as its own sections validate, whatever else is wrong)."""
    problems = _duplicate_ids(document.get("rules"))
    try:
        parsed = _ModelDocument.model_validate(document)
    except ValidationError as error:
        field_problems = problems_of(error)
        raise InvalidPolicy(field_problems + problems + _fit_problems(document)) from error
    problems += _fit_problems(document)
    if problems:
        raise InvalidPolicy(problems)
    bands = _bands(parsed.grades, [])
    levels = sorted(parsed.levels.items(), key=lambda item: -item[1])
    qualified = {(grade, level) for grade, cells in parsed.qualification.items() for level in cells}
    default_half_life = _seconds(parsed.decay.half_life)
    groups = tuple(
        Group(name=name, cap=group.cap, half_life=_seconds(group.half_life) or default_half_life)
        for name, group in parsed.groups.items()
    )
    by_name = {group.name: group for group in groups}
    return RuleModel(
        label=parsed.label,
        rules=tuple(_rule(rule, by_name, default_half_life) for rule in parsed.rules),
        groups=groups,
        grades=bands,
        levels=tuple(levels),
        qualified=frozenset(qualified),
        reset_engagement_on_recycle=parsed.recycle.engagement == "reset",
    )


def _seconds(text: str | None) -> float | None:
    return half_life_seconds(text) if text is not None else None


def _rule(rule: _RuleDocument, groups: dict[str, Group], default_half_life: float | None) -> Rule:
    if rule.touch is None:
        assert rule.field is not None
        assert rule.op is not None
        return Rule(
            id=rule.id,
            kind=rule.kind,
            description=rule.description,
            points=rule.points,
            when=Condition(field=rule.field, op=rule.op, value=rule.value),
        )
    group = groups.get(rule.group) if rule.group else None
    half_life = _seconds(rule.half_life) or (group.half_life if group else None) or default_half_life
    return Rule(
        id=rule.id,
        kind=rule.kind,
        description=rule.description,
        points=rule.points,
        touch=touch_pattern(rule.touch),
        max_times=rule.max_times,
        group=rule.group,
        half_life=half_life,
    )


_SECTIONS: dict[str, TypeAdapter[Any]] = {
    "grades": TypeAdapter(dict[Literal["A", "B", "C", "D"], int | _BandDocument]),
    "levels": TypeAdapter(dict[str, int]),
    "qualification": TypeAdapter(dict[Literal["A", "B", "C", "D"], list[str]]),
    "groups": TypeAdapter(dict[str, _GroupDocument]),
}


def _section(document: dict[str, Any], name: str) -> Any:
    """One section of the document, validated alone; None when it is wrong (its fields say why)."""
    try:
        return _SECTIONS[name].validate_python(document.get(name, {}))
    except ValidationError:
        return None


def _fit_problems(document: dict[str, Any]) -> list[Problem]:
    """What is wrong between the sections that validate on their own."""
    problems: list[Problem] = []
    grades, levels = _section(document, "grades"), _section(document, "levels")
    qualification, groups = _section(document, "qualification"), _section(document, "groups")
    if grades is not None:
        _bands(grades, problems)
    if levels:
        floors = [floor for floor in levels.values()]
        if len(set(floors)) != len(floors):
            problems.append(Problem("levels", "two levels have the same floor"))
        for grade, cells in (qualification or {}).items():
            for index, level in enumerate(cells):
                if level not in levels:
                    problems.append(
                        Problem(
                            f"qualification.{grade}[{index}]",
                            f"unknown level {level!r}; levels: {', '.join(levels)}",
                        )
                    )
    rules = document.get("rules")
    if groups is not None and isinstance(rules, list):
        for index, rule in enumerate(rules):
            group = rule.get("group") if isinstance(rule, dict) else None
            if isinstance(group, str) and group not in groups:
                problems.append(
                    Problem(f"rules[{index}].group", f"unknown group {group!r}; define [groups.{group}]")
                )
    return problems


def _bands(grades: dict[Grade, int | _BandDocument], problems: list[Problem]) -> tuple[GradeBand, ...]:
    """Grade bands on fit. A plain number is a floor: the band runs up to the next better grade's."""
    bands: list[GradeBand] = []
    ceiling: int | None = None
    for grade in GRADES:
        if grade not in grades:
            continue
        spec = grades[grade]
        band = (
            GradeBand(grade, spec, ceiling) if isinstance(spec, int) else GradeBand(grade, spec.min, spec.max)
        )
        if band.min is not None and band.max is not None and band.min >= band.max:
            problems.append(Problem(f"grades.{grade}", f"min {band.min} is not below max {band.max}"))
            continue
        for better in bands:
            if _overlap(better, band):
                problems.append(Problem(f"grades.{grade}", f"overlaps grade {better.grade}'s band"))
            elif _above(band, better):
                problems.append(Problem(f"grades.{grade}", f"lies above grade {better.grade}'s band"))
        bands.append(band)
        ceiling = band.min
    return tuple(bands)


def _overlap(a: GradeBand, b: GradeBand) -> bool:
    low = max(a.min if a.min is not None else -(10**9), b.min if b.min is not None else -(10**9))
    high = min(a.max if a.max is not None else 10**9, b.max if b.max is not None else 10**9)
    return low < high


def _above(worse: GradeBand, better: GradeBand) -> bool:
    return worse.min is not None and better.max is not None and worse.min >= better.max


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
    """Parse and check a TOML model; raises InvalidPolicy naming what is wrong."""
    return parse_rule_model(read_document(text, "toml"))


def rule_models(default_document: Path = DEFAULT_MODEL) -> PolicyKind[RuleModel]:
    """Scoring's kind of versioned policy; `default_document` becomes version 1 of an empty store."""
    return PolicyKind(name="scoring-model", parse=parse_rule_model, default_document=default_document)
