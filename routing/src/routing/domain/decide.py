"""One routing decision: which rule, which rep, and why each other rep was not it. Pure.

`decide` takes the lead's fields, the active policy, the roster and the rotation's state and
returns a Decision: the owner (or none: the lead waits in a team's queue), the rule, every
candidate with the reason it was passed over, the tie-break, and the rotation's new credits. It
writes nothing; the handler applies the decision and records it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lead_schemas import LeadProfile
from routing.domain.accounts import AccountMatch
from routing.domain.distribute import Candidate, next_turn, skip_reason
from routing.domain.policy import RoutingPolicy, Rule, Target
from routing.domain.roster import Load, Roster

DIRECT_SKIPS = ("switched_off", "absent", "already_had_lead")  # what stops an owner or a named rep


def lead_fields(
    *,
    score: int,
    grade: str,
    qualified: bool,
    profile: LeadProfile | None,
    policy: RoutingPolicy,
    account: AccountMatch | None,
) -> dict[str, object]:
    """The values a rule's conditions test, by the policy's field names."""
    fields: dict[str, object] = {"score": score, "grade": grade, "qualified": qualified}
    fields["account_owned"] = bool(account and account.account.owner)
    if profile is not None:
        for name in (
            "source",
            "medium",
            "campaign",
            "channel",
            "content",
            "country",
            "company_size",
            "industry",
            "language",
            "job_title",
            "company_domain",
        ):
            fields[name] = getattr(profile, name)
        fields["form"] = profile.form_id
        fields["region"] = policy.region_of(profile.country)
        for name, value in profile.attributes.items():
            fields[f"attributes.{name}"] = value
    return fields


@dataclass(frozen=True)
class Decision:
    owner: str | None
    team: str | None
    rule: str
    method: str  # account_owner | rep | weighted_round_robin | round_robin | manager | queue
    reason: str
    candidates: tuple[Candidate, ...] = ()
    tie_break: str | None = None
    steps: tuple[str, ...] = ()
    credits: dict[str, dict[str, int]] = field(default_factory=dict)  # team → rotation after

    @property
    def queued(self) -> bool:
        return self.owner is None


@dataclass(frozen=True)
class RotationView:
    """What the decision reads of the shared state: each team's credits and each rep's load."""

    credits: Mapping[str, Mapping[str, int]]
    loads: Mapping[str, Load]


class _Attempts:
    def __init__(
        self,
        roster: Roster,
        state: RotationView,
        policy: RoutingPolicy,
        fields: Mapping[str, object],
        at: Any,
        exclude: Collection[str],
    ) -> None:
        self.roster, self.state, self.policy, self.fields = roster, state, policy, fields
        self.at, self.exclude = at, exclude
        self.steps: list[str] = []
        self.candidates: list[Candidate] = []
        self.last_team: str | None = None

    def direct(self, rep_id: str, method: str, rule: Rule) -> Decision | None:
        """A named rep or an account's owner: continuity over balance, so caps, capacity and hours do
        not stop them; being switched off, absent, or having had the lead already does."""
        rep = self.roster.reps.get(rep_id)
        if rep is None or rep.deleted:
            self.steps.append(f"{rep_id} is not on the roster")
            return None
        self.last_team = rep.team
        reason = skip_reason(
            rep, self.state.loads.get(rep.id, Load()), at=self.at, skills=(), exclude=self.exclude
        )
        if reason is not None and reason[0] in DIRECT_SKIPS:
            self.candidates.append(Candidate(rep.id, False, reason[0], reason[1]))
            self.steps.append(f"{rep.name} ({rep.id}) cannot take it: {reason[1]}")
            return None
        self.candidates.append(Candidate(rep.id, True, None, "chosen"))
        who = (
            "the account's owner"
            if method == "account_owner"
            else ("the team's manager" if method == "manager" else "named by the rule")
        )
        return Decision(rep.id, rep.team, rule.id, method, f"{rep.name} is {who}", steps=tuple(self.steps))

    def team(self, team: str, rule: Rule) -> Decision | None:
        self.last_team = team
        members = self.roster.members(team)
        if not members:
            self.steps.append(f"team {team} has no reps")
            return None
        skills = [
            f"{dimension}:{str(self.fields[dimension]).lower()}"
            for dimension in rule.match_skills
            if self.fields.get(dimension)
        ] + list(rule.require_skills)
        turn = next_turn(
            members,
            self.state.loads,
            self.state.credits.get(team, {}),
            at=self.at,
            method=rule.method,
            skills=skills,
            exclude=self.exclude,
            credit_limit=self.policy.credit_limit,
        )
        self.candidates.extend(turn.candidates)
        if turn.chosen is None:
            passed = "; ".join(f"{c.rep_id} {c.detail}" for c in turn.candidates)
            self.steps.append(f"nobody in team {team} could take it ({passed})")
            return None
        rep = self.roster.reps[turn.chosen]
        method = rule.method.replace("_", " ")
        return Decision(
            rep.id,
            team,
            rule.id,
            rule.method,
            f"{rep.name} is next in team {team}'s {method}",
            tie_break=turn.tie_break,
            steps=tuple(self.steps),
            credits={team: turn.credits},
        )

    def target(self, target: Target, rule: Rule) -> Decision | None:
        if target.rep:
            return self.direct(target.rep, "rep", rule)
        if target.team:
            return self.team(target.team, rule)
        return None

    def queue(self, team: str | None, rule: Rule) -> Decision:
        team = team or self.last_team or self.policy.fallback.team
        return Decision(
            None,
            team,
            rule.id,
            "queue",
            f"waits in team {team}'s queue: {self.steps[-1] if self.steps else ''}",
            steps=tuple(self.steps),
        )

    def finish(self, decision: Decision) -> Decision:
        passed = [c for c in self.candidates if not c.eligible]
        reason = decision.reason
        if passed and decision.owner is not None:
            shown = ", ".join(f"{c.rep_id} ({c.why})" for c in passed[:3])
            reason += f"; passed over {shown}" + (f" and {len(passed) - 3} more" if len(passed) > 3 else "")
        return Decision(
            decision.owner,
            decision.team,
            decision.rule,
            decision.method,
            reason,
            tuple(self.candidates),
            decision.tie_break,
            tuple(self.steps),
            decision.credits,
        )


def decide(
    fields: Mapping[str, object],
    account: AccountMatch | None,
    policy: RoutingPolicy,
    roster: Roster,
    state: RotationView,
    *,
    at: Any,
) -> Decision:
    """A qualified lead's first owner: the first matching rule's target, else its fallback, else
    the queue of the last team tried."""
    attempts = _Attempts(roster, state, policy, fields, at, exclude=())
    rule = policy.rule_for(fields)
    attempts.steps.append(f"rule {rule.id} matched ({rule.describe()})")
    decision: Decision | None = None
    if rule.account_owner:
        if account is None:
            attempts.steps.append("no account with an owner matches")
        elif account.account.owner is None:
            attempts.steps.append(f"account {account.account.id} has no owner")
        else:
            owner = account.account.owner
            attempts.steps.append(f"account {account.account.id} (matched {account.how}) is owned by {owner}")
            decision = attempts.direct(owner, "account_owner", rule)
    elif rule.rep:
        decision = attempts.direct(rule.rep, "rep", rule)
    elif rule.team:
        decision = attempts.team(rule.team, rule)
    if decision is None and not rule.fallback.queue:
        attempts.steps.append(f"fallback to {rule.fallback.team or rule.fallback.rep}")
        decision = attempts.target(rule.fallback, rule)
    if decision is None:
        decision = attempts.queue(rule.team if rule.fallback.queue else None, rule)
    return attempts.finish(decision)


def decide_within_team(
    fields: Mapping[str, object],
    team: str,
    policy: RoutingPolicy,
    roster: Roster,
    state: RotationView,
    *,
    at: Any,
    exclude: Collection[str],
    exhausted: bool,
) -> Decision:
    """The next owner from one team: a reassignment after a breach (never to anyone in `exclude`)
    or a queued lead's turn. The matching rule's skills apply when that rule names this team.
    `exhausted` says what to do when nobody can take it: the policy's choice (queue or the team's
    manager) for a reassignment, the queue again for a queued lead."""
    attempts = _Attempts(roster, state, policy, fields, at, exclude)
    matched = policy.rule_for(fields)
    rule = matched if matched.team == team else policy.fallback
    decision = attempts.team(team, rule)
    if decision is None and exhausted and matched.when_exhausted == "manager":
        manager = roster.teams[team].manager if team in roster.teams else None
        if manager:
            attempts.steps.append(f"every eligible rep of team {team} has had it: to its manager")
            decision = attempts.direct(manager, "manager", rule)
    if decision is None:
        decision = attempts.queue(team, rule)
    return attempts.finish(decision)
