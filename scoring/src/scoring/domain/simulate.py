"""What-if: a draft model against the active one over real leads. Pure.

A lead counts as an MQL under a model when it was qualified at any of its touches up to the
window's end (right after each touch is when engagement peaks, since positive points only decay
afterwards) — the question is "would sales have got it", not "is it qualified today"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from scoring.domain.facts import Facts
from scoring.domain.insights import SQL_STAGES
from scoring.domain.model import RuleModel
from scoring.domain.score import Score, score_at
from scoring.domain.touches import Touch

EXAMPLES = 5


@dataclass(frozen=True)
class SimulatedLead:
    lead_id: UUID
    facts: Facts
    touches: Sequence[Touch]  # by time
    stages: frozenset[str] = frozenset()  # what sales reported, if anything


@dataclass(frozen=True)
class Verdict:
    mql: bool
    score: int
    grade: str
    level: str


def verdict(lead: SimulatedLead, model: RuleModel, until: float) -> Verdict:
    """Qualified at any touch up to `until`; the score shown is the best one seen."""
    best: Score | None = None
    for touch in lead.touches:
        if touch.at > until:
            break
        score = score_at(lead.facts, lead.touches, model, touch.at)
        if score.qualified:
            return Verdict(True, score.total, score.grade, score.level)
        if best is None or score.total > best.total:
            best = score
    if best is None:
        best = score_at(lead.facts, (), model, until)
    return Verdict(False, best.total, best.grade, best.level)


@dataclass
class Group:
    key: str
    leads: int = 0
    active: int = 0
    draft: int = 0


@dataclass
class Flip:
    count: int = 0
    examples: list[dict[str, object]] = field(default_factory=list)


@dataclass
class Conversion:
    mqls: int = 0
    with_outcome: int = 0
    reached_sql: int = 0
    won: int = 0
    rejected: int = 0
    lost: int = 0


@dataclass
class Simulation:
    leads: int = 0
    active_mqls: int = 0
    draft_mqls: int = 0
    by_source: dict[str, Group] = field(default_factory=dict)
    by_campaign: dict[str, Group] = field(default_factory=dict)
    became_mql: Flip = field(default_factory=Flip)
    stopped_being_mql: Flip = field(default_factory=Flip)
    active_outcomes: Conversion = field(default_factory=Conversion)
    draft_outcomes: Conversion = field(default_factory=Conversion)


def _count(conversion: Conversion, stages: frozenset[str]) -> None:
    conversion.mqls += 1
    if stages:
        conversion.with_outcome += 1
        conversion.reached_sql += bool(stages & SQL_STAGES)
        conversion.won += "won" in stages
        conversion.rejected += "rejected" in stages
        conversion.lost += "lost" in stages


def simulate(
    leads: Iterable[SimulatedLead], *, draft: RuleModel, active: RuleModel, until: float
) -> Simulation:
    result = Simulation()
    for lead in leads:
        first = lead.touches[0] if lead.touches else None
        source = (first.source if first else None) or "(none)"
        campaign = (first.campaign if first else None) or "(none)"
        was, would = verdict(lead, active, until), verdict(lead, draft, until)
        result.leads += 1
        for groups, key in ((result.by_source, source), (result.by_campaign, campaign)):
            group = groups.setdefault(key, Group(key))
            group.leads += 1
            group.active += was.mql
            group.draft += would.mql
        if was.mql:
            result.active_mqls += 1
            _count(result.active_outcomes, lead.stages)
        if would.mql:
            result.draft_mqls += 1
            _count(result.draft_outcomes, lead.stages)
        if was.mql != would.mql:
            flip = result.became_mql if would.mql else result.stopped_being_mql
            flip.count += 1
            if len(flip.examples) < EXAMPLES:
                flip.examples.append(
                    {
                        "lead_id": str(lead.lead_id),
                        "source": source,
                        "campaign": campaign,
                        "active": vars(was),
                        "draft": vars(would),
                        "outcome": sorted(lead.stages),
                    }
                )
    return result


def ordered(groups: dict[str, Group]) -> list[Group]:
    return sorted(groups.values(), key=lambda group: (-group.leads, group.key))
