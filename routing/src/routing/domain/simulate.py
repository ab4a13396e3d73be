"""Replay what-if: the qualified leads of a past window through a draft policy, with the reps'
availability as it was, against what happened. Pure: the API hands it the past and the roster's
history and gets a comparison back.

What a replay knows: absences as they stood at each lead's instant (replaced ones included until
they were replaced), reps deleted since (still there before their deletion), and the working
hours and weights of today (they keep no history). Caps and capacity count the replayed
assignments from the window's start; a lead stops counting against capacity when it was closed
or recycled in fact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from lead_schemas import LeadProfile
from routing.domain.accounts import AccountMatch
from routing.domain.decide import RotationView, decide, lead_fields
from routing.domain.policy import RoutingPolicy
from routing.domain.roster import Absence, Load, Rep, Roster, Team, local_day_and_week


@dataclass(frozen=True)
class PastAbsence:
    rep_id: str
    absence: Absence
    created_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True)
class RosterHistory:
    teams: dict[str, Team]
    reps: dict[str, Rep]  # as they are now, absences empty
    deleted_at: dict[str, datetime]
    absences: tuple[PastAbsence, ...]

    def at(self, instant: datetime) -> Roster:
        absences: dict[str, list[Absence]] = {}
        for past in self.absences:
            if past.created_at <= instant and (past.cancelled_at is None or past.cancelled_at > instant):
                absences.setdefault(past.rep_id, []).append(past.absence)
        reps = {
            rep_id: replace(
                rep,
                deleted=rep_id in self.deleted_at and self.deleted_at[rep_id] <= instant,
                absences=tuple(absences.get(rep_id, ())),
            )
            for rep_id, rep in self.reps.items()
        }
        return Roster(teams=self.teams, reps=reps)


@dataclass(frozen=True)
class PastLead:
    lead_id: UUID
    at: datetime
    owner: str | None  # what happened: the first decision's owner (None: queued)
    team: str | None
    score: int
    grade: str
    qualified: bool
    profile: LeadProfile | None
    account: AccountMatch | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Change:
    lead_id: UUID
    at: datetime
    actual_owner: str | None
    actual_team: str | None
    draft_owner: str | None
    draft_team: str | None
    draft_rule: str
    reason: str


@dataclass
class Replay:
    leads: int = 0
    by_rep: dict[str, Counter[str]] = field(default_factory=dict)  # rep → {"actual": n, "draft": m}
    by_team: dict[str, Counter[str]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def count(self, side: str, owner: str | None, team: str | None) -> None:
        self.by_rep.setdefault(owner or "(queue)", Counter())[side] += 1
        self.by_team.setdefault(team or "(none)", Counter())[side] += 1


@dataclass
class _Counts:
    open_until: list[datetime | None] = field(default_factory=list)
    days: Counter[date] = field(default_factory=Counter)
    weeks: Counter[date] = field(default_factory=Counter)

    def load(self, rep: Rep, at: datetime) -> Load:
        day, week = local_day_and_week(rep, at)
        still_open = sum(1 for closed in self.open_until if closed is None or closed > at)
        return Load(still_open, self.days[day], self.weeks[week])


def replay(past: Sequence[PastLead], policy: RoutingPolicy, history: RosterHistory) -> Replay:
    """Route `past` (in time order) under `policy` and compare with what happened."""
    result = Replay()
    credits: dict[str, dict[str, int]] = {}
    counts: dict[str, _Counts] = {}
    for lead in sorted(past, key=lambda lead: (lead.at, lead.lead_id)):
        roster = history.at(lead.at)
        fields = lead_fields(
            score=lead.score,
            grade=lead.grade,
            qualified=lead.qualified,
            profile=lead.profile,
            policy=policy,
            account=lead.account,
        )
        loads = {
            rep_id: counts[rep_id].load(roster.reps[rep_id], lead.at)
            for rep_id in counts
            if rep_id in roster.reps
        }
        decision = decide(fields, lead.account, policy, roster, RotationView(credits, loads), at=lead.at)
        credits.update(decision.credits)
        if decision.owner is not None:
            rep = roster.reps[decision.owner]
            mine = counts.setdefault(rep.id, _Counts())
            day, week = local_day_and_week(rep, lead.at)
            mine.open_until.append(lead.closed_at)
            mine.days[day] += 1
            mine.weeks[week] += 1
        result.leads += 1
        result.count("actual", lead.owner, lead.team)
        result.count("draft", decision.owner, decision.team)
        if decision.owner != lead.owner:
            result.changes.append(
                Change(
                    lead.lead_id,
                    lead.at,
                    lead.owner,
                    lead.team,
                    decision.owner,
                    decision.team,
                    decision.rule,
                    decision.reason,
                )
            )
    return result


def summary(result: Replay, limit: int = 200) -> dict[str, Any]:
    """The replay as the API answers it."""
    return {
        "leads": result.leads,
        "owner_changes": len(result.changes),
        "by_rep": [
            {
                "rep_id": rep,
                "actual": c["actual"],
                "draft": c["draft"],
                "difference": c["draft"] - c["actual"],
            }
            for rep, c in sorted(result.by_rep.items())
        ],
        "by_team": [
            {"team": team, "actual": c["actual"], "draft": c["draft"], "difference": c["draft"] - c["actual"]}
            for team, c in sorted(result.by_team.items())
        ],
        "changes": [
            {
                "lead_id": str(c.lead_id),
                "at": c.at.isoformat(),
                "actual_owner": c.actual_owner,
                "actual_team": c.actual_team,
                "draft_owner": c.draft_owner,
                "draft_team": c.draft_team,
                "draft_rule": c.draft_rule,
                "reason": c.reason,
            }
            for c in result.changes[:limit]
        ],
        "changes_shown": min(limit, len(result.changes)),
    }
