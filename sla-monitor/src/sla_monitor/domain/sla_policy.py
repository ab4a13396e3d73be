"""The SLA policy as a versioned document: tiers chosen per lead, each with its clocks and their
escalation, and marketing's MQL targets. Pure: parsing, validation and the choice of a tier.

```toml
[[tiers]]
name = "hot"
when = { grade = ["A", "B"], score = { min = 70 } }   # team, grade, score, source, region, country
max_reassignments = 2                                  # then the next reassigning breach recycles
nurture = { rejected = "sales-rejected", not_now = "come-back-later", sla_exhausted = "rescue" }
calendar = { timezone = "Europe/Berlin", hours = "mon-fri 09:00-18:00" }  # optional, see below
accept = { minutes = 30, warn_share = 0.8, on_breach = "reassign" }
first_contact = { hours = 2, on_breach = "notify_manager" }
follow_up = { attempts = 3, days = 5, unresponsive_reasons = ["no_decision"] }
disposition = { days = 10, on_breach = "recycle" }

[[targets]]
team = "sales"            # or region = "emea"; neither: every MQL
period = "month"          # week | month | quarter
mqls = 400
min_accepted_share = 0.7
max_rejected_share = 0.2
```

The last tier has no `when`: every lead gets a tier. Clocks run on the tier's `calendar`, else
on the team calendar `team_calendar` names, else on the lead's team's calendar, else around the
clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leadkit.globs import matches_any
from leadkit.policy_document import InvalidPolicy, PolicyKind, Problem, problems_of
from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_policy_doc import (
    WHEN_FIELDS,
    CalendarDoc,
    ClockDoc,
    ClockName,
    FollowUpDoc,
    NurtureDoc,
    OnBreach,
    RangeDoc,
    SlaPolicyDoc,
)
from sla_monitor.domain.stages import LOST_REASONS

__all__ = ["Clock", "ClockName", "OnBreach", "SlaPolicy", "Target", "Tier", "parse_sla_policy"]


@dataclass(frozen=True)
class Clock:
    """One clock of a tier: its target, on the tier's calendar, and what a breach does."""

    name: ClockName
    target: timedelta | None  # business time; None: `days` business days of the calendar
    days: float | None
    warn_share: float
    on_breach: OnBreach
    attempts: int = 0  # follow_up: contact attempts needed within the target
    unresponsive_reasons: frozenset[str] = frozenset()

    def duration(self, calendar: BusinessCalendar | None) -> timedelta:
        if self.target is not None:
            return self.target
        assert self.days is not None
        per_day = calendar.minutes_per_day if calendar is not None else 24 * 60
        return timedelta(minutes=self.days * per_day)


@dataclass(frozen=True)
class Tier:
    name: str
    when: tuple[tuple[str, tuple[str, ...]], ...]  # field, patterns (any matches)
    score: tuple[float | None, float | None] | None  # min, max
    max_reassignments: int
    nurture: NurtureDoc
    calendar_team: str | None  # a named team calendar instead of the owner's team's
    calendar: BusinessCalendar | None  # an inline calendar
    clocks: dict[ClockName, Clock]

    def matches(self, facts: dict[str, str | int | None]) -> bool:
        if self.score is not None:
            score, (low, high) = facts.get("score"), self.score
            if (
                score is None
                or (low is not None and float(score) < low)
                or (high is not None and float(score) > high)
            ):
                return False
        return all(matches_any(patterns, facts.get(name)) for name, patterns in self.when)


@dataclass(frozen=True)
class Target:
    team: str | None
    region: str | None
    period: str
    mqls: int
    min_accepted_share: float | None
    max_rejected_share: float | None


@dataclass(frozen=True)
class SlaPolicy:
    tiers: tuple[Tier, ...]
    targets: tuple[Target, ...]

    def tier_for(self, facts: dict[str, str | int | None]) -> Tier:
        """The first tier whose `when` holds for what lead.qualified carries (the last has none)."""
        return next(tier for tier in self.tiers if tier.matches(facts))

    def tier_named(self, name: str | None) -> Tier:
        """A lead's tier by name; the catch-all when a later version dropped it."""
        return next((t for t in self.tiers if t.name == name), self.tiers[-1])

    def calendar_teams(self) -> set[str]:
        return {t.calendar_team for t in self.tiers if t.calendar_team}


def _clock(name: ClockName, doc: ClockDoc) -> Clock:
    minutes = doc.minutes if doc.minutes is not None else doc.hours * 60 if doc.hours is not None else None
    return Clock(
        name=name,
        target=None if minutes is None else timedelta(minutes=minutes),
        days=doc.days,
        warn_share=doc.warn_share,
        on_breach=doc.on_breach,
    )


def _follow_up(doc: FollowUpDoc) -> Clock:
    return Clock(
        name="follow_up",
        target=None,
        days=doc.days,
        warn_share=doc.warn_share,
        on_breach=doc.on_breach,
        attempts=doc.attempts,
        unresponsive_reasons=frozenset(doc.unresponsive_reasons),
    )


def _when(
    path: str, when: dict[str, str | list[str] | RangeDoc], problems: list[Problem]
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[float | None, float | None] | None]:
    tests: list[tuple[str, tuple[str, ...]]] = []
    score = None
    for name, test in when.items():
        if name not in WHEN_FIELDS:
            problems.append(Problem(f"{path}.{name}", f"unknown field; tiers test {', '.join(WHEN_FIELDS)}"))
        elif name == "score":
            if not isinstance(test, RangeDoc):
                problems.append(Problem(f"{path}.score", "score takes a range: { min = 70, max = 100 }"))
            else:
                score = (test.min, test.max)
        elif isinstance(test, RangeDoc):
            problems.append(Problem(f"{path}.{name}", "a range is for score only; give a value or a list"))
        else:
            tests.append((name, (test,) if isinstance(test, str) else tuple(test)))
    return tuple(tests), score


def _calendar(doc: CalendarDoc) -> BusinessCalendar:
    return BusinessCalendar.of(doc.timezone, doc.hours, frozenset(doc.holidays))


def parse_sla_policy(document: dict[str, Any]) -> SlaPolicy:
    """The typed policy, or InvalidPolicy naming the path of every wrong part."""
    try:
        doc = SlaPolicyDoc.model_validate(document)
    except ValidationError as error:
        raise InvalidPolicy(problems_of(error)) from error
    problems: list[Problem] = []
    tiers: list[Tier] = []
    names: set[str] = set()
    for index, tier in enumerate(doc.tiers):
        path = f"tiers[{index}]"
        if tier.name in names:
            problems.append(Problem(f"{path}.name", f"tier {tier.name!r} is named twice"))
        names.add(tier.name)
        if tier.follow_up is not None:
            for position, reason in enumerate(tier.follow_up.unresponsive_reasons):
                if reason not in LOST_REASONS:
                    problems.append(
                        Problem(
                            f"{path}.follow_up.unresponsive_reasons[{position}]",
                            f"unknown lost reason {reason!r}; allowed: {', '.join(LOST_REASONS)}",
                        )
                    )
        clocks: dict[ClockName, Clock] = {}
        for name in ("accept", "first_contact", "disposition"):
            clock_doc = getattr(tier, name)
            if clock_doc is not None:
                clocks[name] = _clock(name, clock_doc)
        if tier.follow_up is not None:
            clocks["follow_up"] = _follow_up(tier.follow_up)
        inline = None if tier.calendar is None else _calendar(tier.calendar)
        when, score = _when(f"{path}.when", tier.when, problems)
        tiers.append(
            Tier(
                name=tier.name,
                when=when,
                score=score,
                max_reassignments=tier.max_reassignments,
                nurture=tier.nurture,
                calendar_team=tier.team_calendar,
                calendar=inline,
                clocks=clocks,
            )
        )
    if doc.tiers[-1].when:
        problems.append(
            Problem(f"tiers[{len(doc.tiers) - 1}].when", "the last tier takes every lead: give it no `when`")
        )
    targets = []
    for index, target in enumerate(doc.targets):
        if target.team and target.region:
            problems.append(Problem(f"targets[{index}]", "a target is for a team or a region, not both"))
        targets.append(
            Target(
                target.team,
                target.region,
                target.period,
                target.mqls,
                target.min_accepted_share,
                target.max_rejected_share,
            )
        )
    if problems:
        raise InvalidPolicy(problems)
    return SlaPolicy(tuple(tiers), tuple(targets))


def sla_policies(default_document: Path) -> PolicyKind[SlaPolicy]:
    return PolicyKind(name="sla-policy", parse=parse_sla_policy, default_document=default_document)
