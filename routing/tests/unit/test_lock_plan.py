"""A routing batch's lock plan: every team the planned steps may reach, and no other. Pure."""

from __future__ import annotations

import tomllib
from typing import Any
from uuid import uuid4

from lead_schemas import LeadProfile
from routing.domain.accounts import Account, AccountMatch
from routing.domain.lead import Lead
from routing.domain.lock_plan import LockPlan
from routing.domain.policy import parse_routing_policy
from routing.domain.roster import Rep, Roster, Team

POLICY = """
[regions]
emea = ["DE", "FR"]

[[rules]]
id = "owned"
when = { account_owned = true }
account_owner = true
fallback = { team = "emea" }

[[rules]]
id = "emea"
when = { region = "emea" }
team = "emea"
fallback = { team = "partners" }

[fallback]
team = "amer"
"""


def rep(rep_id: str, team: str) -> Rep:
    return Rep(id=rep_id, name=rep_id.title(), email=f"{rep_id}@example.com", team=team)


ROSTER = Roster(
    teams={
        "emea": Team("emea", "EMEA", manager="max"),
        "amer": Team("amer", "Americas"),
        "partners": Team("partners", "Partners"),
        "leaders": Team("leaders", "Leaders"),
        "apac": Team("apac", "APAC"),
    },
    reps={
        "ann": rep("ann", "emea"),
        "cy": rep("cy", "amer"),
        "max": rep("max", "leaders"),
        "pat": rep("pat", "apac"),
    },
)


def plan() -> LockPlan:
    return LockPlan(ROSTER, parse_routing_policy(tomllib.loads(POLICY)))


def lead(**fields: Any) -> Lead:
    return Lead(lead_id=uuid4(), **fields)


def test_a_first_routing_locks_its_rules_teams_and_the_fallbacks() -> None:
    planned = plan()
    planned.first_routing(lead(score=80, profile=LeadProfile(country="DE")))
    assert planned.teams == {"emea", "partners", "amer"}


def test_a_first_routing_of_an_owned_account_locks_the_owners_team_too() -> None:
    planned = plan()
    owned = AccountMatch(Account("acme", "Acme", "pat"), "domain")
    planned.first_routing(lead(score=80, profile=LeadProfile(country="US"), account=owned))
    assert planned.teams == {"apac", "emea", "amer"}


def test_a_reassignment_locks_the_team_its_managers_team_and_the_owners() -> None:
    planned = plan()
    planned.reassignment(lead(owner="ann", team="emea", status="assigned"))
    assert planned.teams == {"emea", "leaders"}


def test_a_release_locks_only_the_owners_team_and_nothing_without_an_owner() -> None:
    planned = plan()
    planned.release(lead(owner="cy", status="assigned"))
    planned.release(lead(status="queued", team="partners"))
    assert planned.teams == {"amer"}


def test_reassigning_by_hand_locks_the_team_the_chosen_reps_and_the_owners() -> None:
    planned = plan()
    planned.by_hand(lead(owner="cy", team="amer", status="assigned"), "pat")
    assert planned.teams == {"amer", "apac"}


def test_a_queue_pass_locks_each_team_and_its_managers_team() -> None:
    planned = plan()
    planned.queue("emea")
    planned.queue("amer")
    assert planned.teams == {"emea", "leaders", "amer"}


def test_nothing_planned_locks_nothing() -> None:
    assert plan().teams == set()
