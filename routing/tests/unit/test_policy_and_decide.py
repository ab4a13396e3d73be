"""The routing policy document, account matching, working hours, and whole decisions: pure."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from lead_schemas import LeadProfile
from leadkit.hours import InvalidHours, Shift, parse_hours
from leadkit.policy_document import InvalidPolicy
from routing.domain.accounts import Account, AccountIndex, normalize_company_name, normalize_domain
from routing.domain.decide import RotationView, decide, decide_within_team, lead_fields
from routing.domain.fairness import LedgerCount, fairness
from routing.domain.policy import DEFAULT_POLICY, parse_routing_policy, roster_problems
from routing.domain.roster import Absence, Load, Rep, Roster, Team

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday 14:00 UTC

POLICY = """
[regions]
emea = ["DE", "FR", "GB"]
amer = ["US", "CA"]

[[rules]]
id = "owned"
when = { account_owned = true }
account_owner = true
fallback = { team = "emea" }

[[rules]]
id = "vip"
when = { "attributes.tier" = "vip" }
rep = "ann"

[[rules]]
id = "emea-german"
when = { region = "emea", language = "de" }
team = "emea"
match_skills = ["language"]
fallback = "queue"

[[rules]]
id = "emea"
when = { region = ["emea"], score = { min = 40 } }
team = "emea"

[fallback]
team = "amer"
when_exhausted = "manager"
"""


def rep(rep_id: str, team: str, weight: int = 1, **extra: Any) -> Rep:
    return Rep(
        id=rep_id, name=rep_id.title(), email=f"{rep_id}@example.com", team=team, weight=weight, **extra
    )


ROSTER = Roster(
    teams={"emea": Team("emea", "EMEA", manager="max"), "amer": Team("amer", "Americas")},
    reps={
        "ann": rep("ann", "emea", 2, skills=frozenset({"language:de"})),
        "ben": rep("ben", "emea"),
        "max": rep("max", "emea", 0),
        "cy": rep("cy", "amer"),
        "dee": rep("dee", "amer"),
    },
)
EMPTY = RotationView(credits={}, loads={})


def policy(text: str = POLICY) -> Any:
    return parse_routing_policy(tomllib.loads(text))


def fields(profile: LeadProfile | None = None, score: int = 60, account: Any = None) -> dict[str, object]:
    return lead_fields(
        score=score, grade="A", qualified=True, profile=profile, policy=policy(), account=account
    )


def problems(text: str) -> dict[str, str]:
    with pytest.raises(InvalidPolicy) as caught:
        parse_routing_policy(tomllib.loads(text))
    return {p.path: p.message for p in caught.value.problems}


def test_the_shipped_default_policy_parses() -> None:
    parsed = parse_routing_policy(tomllib.loads(DEFAULT_POLICY.read_text()))
    assert parsed.fallback.team == "sales"
    assert [rule.id for rule in parsed.rules] == ["account-owner"]


def test_a_policy_without_a_fallback_is_refused_at_fallback() -> None:
    assert "fallback" in problems('[[rules]]\nid = "a"\nteam = "x"\n')


def test_each_wrong_part_is_named_by_its_path() -> None:
    regions = problems('[regions]\nemea = ["DE", "Germany"]\namer = ["US", "de"]\n[fallback]\nteam = "x"\n')
    assert "not an ISO 3166-1 alpha-2 code" in regions["regions.emea[1]"]
    assert "also in region 'emea'" in regions["regions.amer"]
    found = problems(
        """
[[rules]]
id = "a"
when = { colour = "red", score = "high", qualified = "yes", grade = [] }
team = "x"
rep = "y"
[[rules]]
id = "a"
team = "x"
method = "lottery"
[fallback]
team = "x"
"""
    )
    assert "rules[0]" in found
    assert "exactly one target" in found["rules[0]"]
    assert "rules[1].id" in found
    assert "rules[1].method" in found


def test_unknown_condition_fields_are_named_with_their_path() -> None:
    found = problems(
        """
[[rules]]
id = "a"
when = { colour = "red", score = "high", qualified = "yes", grade = [] }
team = "x"
[fallback]
team = "x"
"""
    )
    assert "unknown field 'colour'" in found["rules[0].when.colour"]
    assert set(found) == {
        "rules[0].when.colour",
        "rules[0].when.score",
        "rules[0].when.qualified",
        "rules[0].when.grade",
    }


def test_teams_and_reps_the_roster_lacks_are_named() -> None:
    document = tomllib.loads(
        POLICY.replace('rep = "ann"', 'rep = "zed"').replace('team = "amer"', 'team = "apac"')
    )
    found = {p.path: p.message for p in roster_problems(document, ROSTER)}
    assert set(found) == {"rules[1].rep", "fallback.team"}


def test_conditions_match_regions_globs_ranges_and_attributes() -> None:
    parsed = policy()
    german = fields(LeadProfile(country="DE", language="de"))
    assert parsed.rule_for(german).id == "emea-german"
    assert parsed.rule_for(fields(LeadProfile(country="fr"))).id == "emea"
    assert parsed.rule_for(fields(LeadProfile(country="FR"), score=10)).id == "fallback"
    assert parsed.rule_for(fields(LeadProfile(country="US", attributes={"tier": "VIP"}))).id == "vip"
    globbed = policy(
        POLICY.replace('id = "emea"\n', 'id = "emea"\n').replace(
            'when = { region = ["emea"], score = { min = 40 } }', 'when = { campaign = "emea-*" }'
        )
    )
    assert globbed.rule_for(fields(LeadProfile(campaign="EMEA-Q4-webinar"))).id == "emea"


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("ACME, Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("acme llc", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Globex S.A.", "globex"),
        ("Initech Ltd.", "initech"),
        ("Procter & Gamble", "procter and gamble"),
    ],
)
def test_company_names_match_without_case_punctuation_or_legal_suffixes(name: str, normalized: str) -> None:
    assert normalize_company_name(name) == normalized


def test_accounts_match_by_domain_first_then_by_name() -> None:
    index = AccountIndex.of(
        [Account("a1", "Acme Corp", "ben", ("acme.com",)), Account("a2", "Globex GmbH", None, ("globex.de",))]
    )
    assert index.match(company_domain="eu.acme.com", company="Something Else").account.id == "a1"  # type: ignore[union-attr]
    by_name = index.match(company_domain="gmail-not-work.example", company="GLOBEX, Inc.")
    assert by_name is not None
    assert by_name.account.id == "a2"
    assert "name" in by_name.matched_by
    assert index.match(company_domain=None, company="Initech") is None
    assert normalize_domain("https://www.Acme.com/about") == "acme.com"


def test_working_hours_parse_and_read_in_the_rep_s_zone() -> None:
    assert parse_hours("mon-wed 09:00-17:30; sat 10:00-24:00") == (
        Shift(0, time(9), time(17, 30)),
        Shift(1, time(9), time(17, 30)),
        Shift(2, time(9), time(17, 30)),
        Shift(5, time(10), time.max),
    )
    tokyo = rep("kenji", "apac", timezone="Asia/Tokyo", hours=parse_hours("mon-fri 09:00-18:00"))
    assert tokyo.working_at(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # 10:00 in Tokyo
    assert not tokyo.working_at(NOW)  # 23:00 in Tokyo
    for wrong in ("monday 9-5", "mon-fri 18:00-09:00", "xyz 09:00-10:00", "mon 25:00-26:00"):
        with pytest.raises(InvalidHours):
            parse_hours(wrong)


def test_hours_follow_daylight_saving_time() -> None:
    berlin = rep("eva", "emea", timezone="Europe/Berlin", hours=parse_hours("mon-fri 09:00-17:00"))
    # Berlin is UTC+1 in winter and UTC+2 from 29 March 2026: 07:30 UTC is 08:30 or 09:30 there
    assert not berlin.working_at(datetime(2026, 3, 27, 7, 30, tzinfo=UTC))  # the Friday before the change
    assert berlin.working_at(datetime(2026, 4, 3, 7, 30, tzinfo=UTC))  # the Friday after it
    assert not berlin.working_at(datetime(2026, 1, 9, 7, 30, tzinfo=UTC))  # Friday in winter: 08:30 local
    assert berlin.working_at(datetime(2026, 7, 10, 7, 30, tzinfo=UTC))  # Friday in summer: 09:30 local


def test_an_absence_covers_whole_days_where_the_rep_lives() -> None:
    away = rep(
        "kenji",
        "apac",
        timezone="Asia/Tokyo",
        absences=(Absence(date(2026, 11, 25), date(2026, 11, 25), "x"),),
    )
    assert (
        away.absence_at(datetime(2026, 11, 24, 15, 30, tzinfo=UTC)) is not None
    )  # 00:30 on the 25th in Tokyo
    assert away.absence_at(datetime(2026, 11, 24, 14, 30, tzinfo=UTC)) is None  # 23:30 on the 24th


def test_an_owned_account_goes_to_its_owner_with_the_match_in_the_steps() -> None:
    account = AccountIndex.of([Account("a1", "Acme", "ben", ("acme.com",))]).match(
        company_domain="acme.com", company=None
    )
    decision = decide(
        fields(LeadProfile(country="US"), account=account), account, policy(), ROSTER, EMPTY, at=NOW
    )
    assert (decision.owner, decision.rule, decision.method) == ("ben", "owned", "account_owner")
    assert any("account a1 (matched by domain) is owned by ben" in step for step in decision.steps)
    assert not any("acme" in step.lower() for step in decision.steps)  # the reason is kept forever


def test_an_absent_owner_falls_back_to_the_rule_s_team_and_says_so() -> None:
    roster = Roster(
        ROSTER.teams,
        ROSTER.reps
        | {"ben": rep("ben", "emea", absences=(Absence(date(2026, 11, 24), date(2026, 11, 24), "sick"),))},
    )
    account = AccountIndex.of([Account("a1", "Acme", "ben", ("acme.com",))]).match(
        company_domain="acme.com", company=None
    )
    decision = decide(
        fields(LeadProfile(country="US"), account=account), account, policy(), roster, EMPTY, at=NOW
    )
    assert decision.owner == "ann"
    assert decision.team == "emea"
    assert {(c.rep_id, c.why) for c in decision.candidates if not c.eligible} >= {("ben", "absent")}
    assert "passed over ben (absent)" in decision.reason


def test_skills_are_matched_and_when_nobody_has_them_the_lead_waits_in_the_queue() -> None:
    german = fields(LeadProfile(country="DE", language="de"))
    assert decide(german, None, policy(), ROSTER, EMPTY, at=NOW).owner == "ann"
    busy = RotationView(credits={}, loads={"ann": Load(0, 0, 0)})
    capped = Roster(
        ROSTER.teams,
        ROSTER.reps | {"ann": rep("ann", "emea", 2, skills=frozenset({"language:de"}), daily_cap=0)},
    )
    queued = decide(german, None, policy(), capped, busy, at=NOW)
    assert queued.owner is None
    assert queued.team == "emea"
    assert queued.method == "queue"
    assert {c.rep_id: c.why for c in queued.candidates} == {
        "ann": "capped_daily",
        "ben": "no_skill",
        "max": "no_skill",
    }


def test_a_breached_lead_never_returns_to_an_earlier_owner_and_goes_to_the_manager_when_exhausted() -> None:
    lead = fields(LeadProfile(country="FR"))
    next_rep = decide_within_team(
        lead, "emea", policy(), ROSTER, EMPTY, at=NOW, exclude={"ann"}, exhausted=True
    )
    assert next_rep.owner == "ben"
    exhausted = decide_within_team(
        lead, "emea", policy(), ROSTER, EMPTY, at=NOW, exclude={"ann", "ben"}, exhausted=True
    )
    assert (exhausted.owner, exhausted.method) == ("max", "manager")
    queued = decide_within_team(
        lead, "emea", policy(), ROSTER, EMPTY, at=NOW, exclude={"ann", "ben"}, exhausted=False
    )
    assert queued.owner is None


def test_the_fairness_report_shows_shares_skips_credits_and_drift() -> None:
    counts = [
        LedgerCount("a", "assigned", "weighted_round_robin", None, False, 70),
        LedgerCount("b", "assigned", "weighted_round_robin", None, False, 30),
        LedgerCount("b", "assigned", "account_owner", None, False, 5),
        LedgerCount("b", "skipped", "weighted_round_robin", "absent", True, 12),
        LedgerCount("a", "reassigned_away", "weighted_round_robin", None, False, 2),
    ]
    report = {rep.rep_id: rep for rep in fairness(counts, {"a": 1, "b": 1})}
    assert report["a"].share == pytest.approx(0.7)
    assert report["a"].flagged
    assert report["b"].assignments == 35
    assert report["b"].rotation_assignments == 30
    assert report["b"].skips == {"absent": 12}
    assert report["b"].credits == 12
    assert report["a"].reassigned_away == 2


def test_a_missing_fallback_an_unknown_field_team_and_rep_are_named_together() -> None:
    """Each stage used to hide the next: fixing the fallback revealed the field, then the roster."""
    text = '[[rules]]\nid = "a"\nwhen = { colour = "red" }\nteam = "nowhere"\nrep = "nobody"\n'
    document = tomllib.loads(text)
    found = set(problems(text)) | {p.path for p in roster_problems(document, ROSTER)}
    assert {"fallback", "rules[0].when.colour", "rules[0].team", "rules[0].rep"} <= found


def test_a_deleted_rep_keeps_its_roster_weight_in_the_ledger_but_no_share() -> None:
    counts = [
        LedgerCount("a", "assigned", "weighted_round_robin", None, False, 6),
        LedgerCount("gone", "assigned", "weighted_round_robin", None, False, 4),
    ]
    report = {rep.rep_id: rep for rep in fairness(counts, {"a": 2}, {"a": 2, "gone": 3})}
    assert (report["gone"].weight, report["gone"].in_rotation, report["gone"].weight_share) == (3, False, 0.0)
    assert (report["a"].in_rotation, report["a"].weight_share) == (True, 1.0)
