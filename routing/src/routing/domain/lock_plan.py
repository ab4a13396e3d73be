"""Which teams a routing batch must lock before it decides: every team the steps it plans may
reach (their rotation and their reps' loads are read and written under those locks). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.domain.decide import lead_fields
from routing.domain.lead import Lead
from routing.domain.policy import RoutingPolicy
from routing.domain.roster import Roster


def lead_fields_of(lead: Lead, policy: RoutingPolicy) -> dict[str, object]:
    """What the policy's rules test of a lead."""
    return lead_fields(
        score=lead.score,
        grade=lead.grade,
        qualified=lead.qualified,
        profile=lead.profile,
        policy=policy,
        account=lead.account,
    )


@dataclass
class LockPlan:
    roster: Roster
    policy: RoutingPolicy
    teams: set[str] = field(default_factory=set)

    def first_routing(self, lead: Lead) -> None:
        """The lead may be routed for the first time: its rule's team or rep, the fallbacks', and
        its account owner's team."""
        rule = self.policy.rule_for(lead_fields_of(lead, self.policy) | {"qualified": True})
        found = {rule.team, rule.fallback.team, self.policy.fallback.team}
        for rep in (rule.rep, rule.fallback.rep, lead.account.account.owner if lead.account else None):
            found.add(self.roster.team_of(rep) if rep else None)
        self.teams |= {team for team in found if team}

    def reassignment(self, lead: Lead) -> None:
        """The lead may go to another rep of its team (or its manager's), its owner's load released."""
        self.teams |= self.within(lead.team or self.roster.team_of(lead.owner or ""))
        self.release(lead)

    def release(self, lead: Lead) -> None:
        """The lead may close or go back to marketing: its owner's load drops."""
        team = self.roster.team_of(lead.owner) if lead.owner else None
        self.teams |= {team} if team else set()

    def queue(self, team: str) -> None:
        """The team's queued leads may be served."""
        self.teams |= self.within(team)

    def by_hand(self, lead: Lead, to: str | None) -> None:
        """A person reassigns the lead, to `to` or to the next eligible rep of its team."""
        team = lead.team or self.roster.team_of(lead.owner or "") or self.policy.fallback.team
        self.teams |= self.within(team)
        for rep in (to, lead.owner):
            found = self.roster.team_of(rep) if rep else None
            self.teams |= {found} if found else set()

    def within(self, team: str | None) -> set[str]:
        """A team and its manager's team (a reassignment may escalate to the manager)."""
        found = {team} if team else set()
        manager = self.roster.teams[team].manager if team and team in self.roster.teams else None
        manager_team = self.roster.team_of(manager) if manager else None
        return found | ({manager_team} if manager_team else set())
