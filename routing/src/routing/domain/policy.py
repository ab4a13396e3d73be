"""The routing policy as a versioned document: regions, an ordered list of rules, and a fallback.

A rule is a condition on the lead (`when`) and a target: a team (distributed by a method), a
named rep, or the account's owner; with its own fallback when the target cannot take the lead.
The first rule whose condition holds decides; a lead no rule matches goes to the policy's
fallback team. Parsing is pure; whether the teams and reps it names exist is `roster_problems`,
checked against the roster when a version is saved or activated.

Past 300 lines on purpose, like scoring's model: the document's shape (pydantic), every check that
names a wrong part, and the frozen values it becomes are read side by side when the format
changes; the glob matcher and the bounds live in the kit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadkit.globs import matches_any
from leadkit.policy_document import InvalidPolicy, PolicyKind, Problem, problems_of
from routing.domain.roster import Roster

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "config" / "default_policy.toml"

Method = Literal["weighted_round_robin", "round_robin"]
Exhausted = Literal["queue", "manager"]
# The lead's fields a condition may test; `attributes.<name>` tests a custom attribute.
TEXT_FIELDS = (
    "grade",
    "source",
    "medium",
    "campaign",
    "channel",
    "content",
    "form",
    "country",
    "region",
    "company_size",
    "industry",
    "language",
    "job_title",
    "company_domain",
)
NUMBER_FIELDS = ("score",)
FLAG_FIELDS = ("qualified", "account_owned")
SKILL_DIMENSIONS = ("language", "region", "country", "industry", "company_size")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Range(_Strict):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class _Target(_Strict):
    team: str | None = None
    rep: str | None = None

    @model_validator(mode="after")
    def _one(self) -> _Target:
        if (self.team is None) == (self.rep is None):
            raise ValueError("name exactly one of team or rep")
        return self


class _Rule(_Strict):
    id: str = Field(min_length=1, max_length=100)
    description: str = ""
    when: dict[str, Any] = Field(default_factory=dict)
    team: str | None = None
    rep: str | None = None
    account_owner: bool = False
    method: Method | None = None
    match_skills: list[Literal["language", "region", "country", "industry", "company_size"]] = Field(
        default_factory=list
    )
    require_skills: list[str] = Field(default_factory=list)
    fallback: _Target | Literal["queue"] | None = None
    when_exhausted: Exhausted | None = None

    @model_validator(mode="after")
    def _one_target(self) -> _Rule:
        targets = [name for name in ("team", "rep") if getattr(self, name) is not None]
        if self.account_owner:
            targets.append("account_owner")
        if len(targets) != 1:
            raise ValueError(
                "name exactly one target: team, rep or account_owner = true"
                + (f" (it names {', '.join(targets)})" if targets else "")
            )
        return self


class _Fallback(_Strict):
    team: str
    when_exhausted: Exhausted = "queue"


class _Distribution(_Strict):
    method: Method = "weighted_round_robin"
    credit_limit: int = Field(
        default=10, ge=0, le=1000, description="the most leads' worth of credit a skipped rep can bank"
    )


class _PolicyDocument(_Strict):
    description: str = ""
    regions: dict[str, list[str]] = Field(default_factory=dict)
    distribution: _Distribution = _Distribution()
    rules: list[_Rule] = Field(default_factory=list, max_length=500)
    fallback: _Fallback


@dataclass(frozen=True)
class Condition:
    """One field's test: any of `values` (glob patterns, case-blind), a number range, or a flag."""

    field: str
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    flag: bool | None = None

    def holds(self, value: object) -> bool:
        if self.flag is not None:
            return bool(value) is self.flag
        if self.low is not None or self.high is not None:
            if not isinstance(value, int | float) or isinstance(value, bool):
                return False
            return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)
        return matches_any(self.values, value)

    def describe(self) -> str:
        if self.flag is not None:
            return f"{self.field} is {str(self.flag).lower()}"
        if self.low is not None or self.high is not None:
            bounds = [f">= {self.low:g}"] if self.low is not None else []
            bounds += [f"<= {self.high:g}"] if self.high is not None else []
            return f"{self.field} {' and '.join(bounds)}"
        return f"{self.field} in [{', '.join(self.values)}]"


@dataclass(frozen=True)
class Target:
    team: str | None = None
    rep: str | None = None
    queue: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    conditions: tuple[Condition, ...]
    team: str | None
    rep: str | None
    account_owner: bool
    method: Method
    match_skills: tuple[str, ...]
    require_skills: tuple[str, ...]
    fallback: Target
    when_exhausted: Exhausted

    def matches(self, lead: Mapping[str, object]) -> bool:
        return all(condition.holds(lead.get(condition.field)) for condition in self.conditions)

    def describe(self) -> str:
        return " and ".join(c.describe() for c in self.conditions) or "every lead"


@dataclass(frozen=True)
class RoutingPolicy:
    regions: dict[str, str]  # country code → region name
    rules: tuple[Rule, ...]
    fallback: Rule  # the catch-all, as a rule named "fallback"
    credit_limit: int

    def region_of(self, country: str | None) -> str | None:
        return self.regions.get(country.upper()) if country else None

    def rule_for(self, lead: Mapping[str, object]) -> Rule:
        return next((rule for rule in self.rules if rule.matches(lead)), self.fallback)


def _condition(path: str, name: str, raw: object, problems: list[Problem]) -> Condition | None:
    if name in FLAG_FIELDS:
        if not isinstance(raw, bool):
            problems.append(Problem(path, f"{name} takes true or false"))
            return None
        return Condition(name, flag=raw)
    if name in NUMBER_FIELDS:
        if isinstance(raw, dict):
            try:
                bounds = _Range.model_validate(raw)
            except ValidationError as error:
                problems.extend(
                    Problem(f"{path}.{p.path}" if p.path != "$" else path, p.message)
                    for p in problems_of(error)
                )
                return None
            return Condition(name, low=bounds.min, high=bounds.max)
        problems.append(Problem(path, f"{name} takes a range such as {{ min = 60 }}"))
        return None
    if name in TEXT_FIELDS or (name.startswith("attributes.") and len(name) > len("attributes.")):
        values = [raw] if isinstance(raw, str | int | float) and not isinstance(raw, bool) else raw
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str | int | float) for v in values)
        ):
            problems.append(Problem(path, f"{name} takes a value or a non-empty list of values"))
            return None
        return Condition(name, values=tuple(str(v).lower() for v in values))
    known = ", ".join((*TEXT_FIELDS, *NUMBER_FIELDS, *FLAG_FIELDS, "attributes.<name>"))
    problems.append(Problem(path, f"unknown field {name!r}; conditions may test {known}"))
    return None


def _target(raw: _Target | Literal["queue"] | None, default: Target) -> Target:
    if raw is None:
        return default
    if raw == "queue":
        return Target(queue=True)
    return Target(team=raw.team, rep=raw.rep)


def parse_routing_policy(document: dict[str, Any]) -> RoutingPolicy:
    """A policy document as values; InvalidPolicy names the path of every wrong part."""
    problems: list[Problem] = []
    rules_raw = document.get("rules")
    if isinstance(rules_raw, list):
        seen: dict[str, int] = {}
        for index, rule in enumerate(rules_raw):
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            if isinstance(rule_id, str) and rule_id in seen:
                problems.append(
                    Problem(f"rules[{index}].id", f"{rule_id!r} is also rules[{seen[rule_id]}]'s id")
                )
            elif isinstance(rule_id, str):
                seen[rule_id] = index
    try:
        parsed = _PolicyDocument.model_validate(document)
    except ValidationError as error:
        # the conditions are checked all the same, so one answer names every wrong part
        raise InvalidPolicy(problems_of(error) + problems + _condition_problems(rules_raw)) from error
    regions: dict[str, str] = {}
    for name, countries in parsed.regions.items():
        for index, country in enumerate(countries):
            if len(country) != 2 or not country.isalpha():
                problems.append(
                    Problem(f"regions.{name}[{index}]", f"{country!r} is not an ISO 3166-1 alpha-2 code")
                )
                continue
            if country.upper() in regions:
                problems.append(
                    Problem(
                        f"regions.{name}", f"{country.upper()} is also in region {regions[country.upper()]!r}"
                    )
                )
            regions.setdefault(country.upper(), name.lower())
    policy_fallback = Target(team=parsed.fallback.team)
    rules: list[Rule] = []
    for index, raw in enumerate(parsed.rules):
        conditions = [
            _condition(f"rules[{index}].when.{name}", name, value, problems)
            for name, value in raw.when.items()
        ]
        if raw.fallback == "queue" and raw.team is None:
            problems.append(
                Problem(
                    f"rules[{index}].fallback",
                    "'queue' is a team's queue: give the rule a team, or a team here",
                )
            )
        rules.append(
            Rule(
                id=raw.id,
                description=raw.description,
                conditions=tuple(c for c in conditions if c is not None),
                team=raw.team,
                rep=raw.rep,
                account_owner=raw.account_owner,
                method=raw.method or parsed.distribution.method,
                match_skills=tuple(raw.match_skills),
                require_skills=tuple(s.lower() for s in raw.require_skills),
                fallback=_target(raw.fallback, policy_fallback),
                when_exhausted=raw.when_exhausted or parsed.fallback.when_exhausted,
            )
        )
    if problems:
        raise InvalidPolicy(problems)
    fallback = Rule(
        id="fallback",
        description="no rule matched: the policy's fallback team",
        conditions=(),
        team=parsed.fallback.team,
        rep=None,
        account_owner=False,
        method=parsed.distribution.method,
        match_skills=(),
        require_skills=(),
        fallback=Target(queue=True),
        when_exhausted=parsed.fallback.when_exhausted,
    )
    return RoutingPolicy(
        regions=regions, rules=tuple(rules), fallback=fallback, credit_limit=parsed.distribution.credit_limit
    )


def _condition_problems(rules: object) -> list[Problem]:
    """The `when` conditions of rules that did not validate as a whole, checked one by one."""
    problems: list[Problem] = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        when = rule.get("when") if isinstance(rule, dict) else None
        for name, value in (when or {}).items() if isinstance(when, dict) else ():
            _condition(f"rules[{index}].when.{name}", name, value, problems)
    return problems


def roster_problems(document: dict[str, Any], roster: Roster) -> list[Problem]:
    """The teams and reps a document names that the roster lacks, each with its path (a document
    with other faults too: every wrong part is named in one answer)."""
    problems: list[Problem] = []

    def team(path: str, name: object) -> None:
        if isinstance(name, str) and name not in roster.teams:
            problems.append(
                Problem(path, f"unknown team {name!r}; teams: {', '.join(sorted(roster.teams)) or 'none'}")
            )

    def rep(path: str, name: object) -> None:
        if isinstance(name, str) and (name not in roster.reps or roster.reps[name].deleted):
            problems.append(Problem(path, f"unknown rep {name!r}"))

    fallback_doc = document.get("fallback")
    if isinstance(fallback_doc, dict):
        team("fallback.team", fallback_doc.get("team"))
    rules = document.get("rules", [])
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        team(f"rules[{index}].team", rule.get("team"))
        rep(f"rules[{index}].rep", rule.get("rep"))
        fallback = rule.get("fallback")
        if isinstance(fallback, dict):
            team(f"rules[{index}].fallback.team", fallback.get("team"))
            rep(f"rules[{index}].fallback.rep", fallback.get("rep"))
    return problems


def routing_policies(default_document: Path = DEFAULT_POLICY) -> PolicyKind[RoutingPolicy]:
    return PolicyKind(name="routing-policy", parse=parse_routing_policy, default_document=default_document)
