"""score_at(facts, touches, model, at): the score at one instant, every rule's points, and the
next instant decay alone changes the lead's engagement level. Pure.

Engagement decays continuously: a touch worth p points with half-life h is worth
p · 0.5^((at - touch time) / h) at `at`. A rule's points are the sum over the touches it counts
(its latest `max_times`), rounded half away from zero to a whole point; a group whose rules add
up to more than its cap gets a `cap` line taking the excess back. So the lines always sum to the
total, and the same touches give the same score at the same instant whenever it is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scoring.domain.facts import Facts
from scoring.domain.model import Condition, Grade, Rule, RuleModel
from scoring.domain.touches import Touch

HitKind = Literal["fit", "engagement", "negative", "cap"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One line of a score's explanation."""

    rule_id: str
    kind: HitKind
    description: str
    points: int  # whole points after decay; the lines sum to the total
    exact: float  # before rounding
    times: int = 0  # touches the rule counted (0 for a rule on facts)

    @property
    def part(self) -> Literal["fit", "engagement"]:
        """The part of the score the line counts in: rules on facts in fit, the rest in engagement."""
        return "engagement" if self.times or self.kind == "cap" else "fit"


@dataclass(frozen=True)
class Score:
    total: int
    fit: int
    engagement: int
    grade: Grade
    level: str
    qualified: bool
    hits: tuple[Hit, ...]
    at: float  # the instant, POSIX seconds
    # when decay alone next changes the engagement level (None: never, the touches have no
    # decaying points left that could)
    next_change_at: float | None = None

    @property
    def state(self) -> tuple[Grade, str, bool]:
        """What a `lead.scored` is emitted for when it changes."""
        return self.grade, self.level, self.qualified


def round_half_away(value: float) -> int:
    """Whole points: 2.5 → 3, -2.5 → -3 (Python's round() would give 2 and -2)."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


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
        if not isinstance(actual, int | float) or isinstance(actual, bool):
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


def grade_for(fit: int, model: RuleModel) -> Grade:
    for band in model.grades:
        if band.holds(fit):
            return band.grade
    return "D"


def level_for(engagement: int, model: RuleModel) -> str:
    for level, floor in model.levels:
        if engagement >= floor:
            return level
    return model.levels[-1][0]


@dataclass(frozen=True, slots=True)
class _Term:
    """One touch rule's exact points at the reference instant; later it is value · 2^(-Δ/h)."""

    rule: Rule
    value: float
    times: int


def fit_hits(facts: Facts, model: RuleModel) -> tuple[Hit, ...]:
    return tuple(
        Hit(rule.id, rule.kind, rule.description, rule.points, float(rule.points))
        for rule in model.fact_rules
        if rule.when is not None and matches(rule.when, facts)
    )


def _terms(touches: Sequence[Touch], model: RuleModel, at: float, since: float | None) -> list[_Term]:
    counted = [t for t in touches if t.at <= at and (since is None or t.at >= since)]
    terms = []
    for rule in model.touch_rules:
        assert rule.touch is not None
        matched = [t for t in counted if rule.touch.matches(t)]
        if rule.max_times is not None:
            matched = sorted(matched, key=lambda t: t.at)[-rule.max_times :]
        if not matched:
            continue
        if rule.half_life is None:
            value = float(rule.points * len(matched))
        else:
            value = rule.points * sum(math.exp2((t.at - at) / rule.half_life) for t in matched)
        terms.append(_Term(rule, value, len(matched)))
    return terms


def _decayed(
    terms: Sequence[_Term], model: RuleModel, later: float
) -> tuple[list[tuple[_Term, float, int]], list[tuple[str, int, int]]]:
    """`later` seconds after the terms' instant: each touch rule's exact and whole points, and
    each capped group's (name, cap, excess taken back, ≤ 0)."""
    lines = []
    by_group: dict[str, int] = {}
    for term in terms:
        rule = term.rule
        exact = term.value if rule.half_life is None else term.value * math.exp2(-later / rule.half_life)
        points = round_half_away(exact)
        lines.append((term, exact, points))
        if rule.group is not None:
            by_group[rule.group] = by_group.get(rule.group, 0) + points
    caps = []
    for name, points in by_group.items():
        group = model.group(name)
        if group is not None and group.cap is not None and points > group.cap:
            caps.append((name, group.cap, group.cap - points))
    return lines, caps


def _engagement_hits(terms: Sequence[_Term], model: RuleModel) -> list[Hit]:
    """The touch rules' lines at the terms' instant, and the group caps' lines."""
    lines, caps = _decayed(terms, model, 0.0)
    hits = [
        Hit(
            term.rule.id,
            "negative" if term.rule.kind == "negative" else "engagement",
            term.rule.description,
            points,
            exact,
            term.times,
        )
        for term, exact, points in lines
        if points != 0  # decayed away: no longer a reason
    ]
    hits.extend(
        Hit(f"cap:{name}", "cap", f"group {name!r} is capped at {cap} points", excess, float(excess))
        for name, cap, excess in caps
    )
    return hits


def _engagement_after(terms: Sequence[_Term], model: RuleModel, later: float) -> int:
    """The engagement total `later` seconds on (the search for the next change asks it often)."""
    lines, caps = _decayed(terms, model, later)
    return sum(points for _, _, points in lines) + sum(excess for _, _, excess in caps)


def score_at(
    facts: Facts,
    touches: Sequence[Touch],
    model: RuleModel,
    at: float,
    *,
    engagement_since: float | None = None,
    fit: Sequence[Hit] | None = None,
) -> Score:
    """The lead's score at `at`: touches after it do not count yet, nor those before
    `engagement_since` (a recycle reset the engagement then). `fit` gives fit lines recorded
    earlier instead of evaluating the rules on `facts` (for an instant whose facts are gone)."""
    fit = tuple(fit) if fit is not None else fit_hits(facts, model)
    terms = _terms(touches, model, at, engagement_since)
    engagement = _engagement_hits(terms, model)
    fit_points = sum(hit.points for hit in fit)
    engagement_points = sum(hit.points for hit in engagement)
    grade = grade_for(fit_points, model)
    level = level_for(engagement_points, model)
    return Score(
        total=fit_points + engagement_points,
        fit=fit_points,
        engagement=engagement_points,
        grade=grade,
        level=level,
        qualified=(grade, level) in model.qualified,
        hits=fit + tuple(engagement),
        at=at,
        next_change_at=_next_level_change(terms, model, at, level),
    )


_SAMPLES = 64
_PRECISION = 0.25  # seconds


def _next_level_change(terms: Sequence[_Term], model: RuleModel, at: float, level: str) -> float | None:
    """The first instant after `at` at which decay alone moves the engagement level.

    When every decaying rule adds points, engagement only falls, so the level moves one way and
    one bisection over [at, the last decaying line's vanishing point] finds the crossing exactly.
    Decaying negative rules can make engagement rise again; then the bisection runs from the
    first of 64 samples (and each rule's vanishing point) whose level differs.
    """
    decaying = [t for t in terms if t.rule.half_life is not None and abs(t.value) >= 0.5]
    if not decaying:
        return None
    vanish = sorted(t.rule.half_life * math.log2(abs(t.value) / 0.5) for t in decaying if t.rule.half_life)
    horizon = vanish[-1] + _PRECISION

    def moved(later: float) -> bool:
        return level_for(_engagement_after(terms, model, later), model) != level

    if all(t.value > 0 for t in decaying):
        if not moved(horizon):
            return None
        return at + _bisect(moved, 0.0, horizon)
    low = 0.0
    for sample in sorted(
        {horizon * k / _SAMPLES for k in range(1, _SAMPLES + 1)} | {v + _PRECISION for v in vanish}
    ):
        if moved(sample):
            return at + _bisect(moved, low, sample)
        low = sample
    return None


def _bisect(moved: Callable[[float], bool], low: float, high: float) -> float:
    """The least offset in (low, high] at which `moved` holds, to _PRECISION; `moved(high)` holds."""
    while high - low > _PRECISION:
        middle = (low + high) / 2
        if moved(middle):
            high = middle
        else:
            low = middle
    return high
