"""The SLA policy document: parsing, the paths of wrong parts, choosing a tier, targets."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from leadkit.policy_document import InvalidPolicy
from sla_monitor.domain.marketing import Verdicts, marketing_rows
from sla_monitor.domain.periods import InvalidPeriod, parse_period
from sla_monitor.domain.sla_clock import clock_calendar, schedule
from sla_monitor.domain.sla_policy import parse_sla_policy
from sla_monitor.parts import DEFAULT_POLICY

POLICY = """
[[tiers]]
name = "hot"
when = { grade = ["A", "B"], score = { min = 70 }, region = "emea" }
max_reassignments = 1
nurture = { rejected = "sales-said-no" }
calendar = { timezone = "Europe/Berlin", hours = "mon-fri 09:00-18:00", holidays = ["2026-12-25"] }
accept = { minutes = 30 }
first_contact = { hours = 2, warn_share = 0.5, on_breach = "notify_manager" }
follow_up = { attempts = 3, days = 5 }

[[tiers]]
name = "partners"
when = { source = "partner-*" }
accept = { days = 1, on_breach = "recycle" }

[[tiers]]
name = "rest"
accept = { minutes = 240 }

[[targets]]
team = "sales"
mqls = 10
min_accepted_share = 0.7
max_rejected_share = 0.2

[[targets]]
region = "emea"
period = "quarter"
mqls = 30
"""


def problems(text: str) -> dict[str, str]:
    with pytest.raises(InvalidPolicy) as refused:
        parse_sla_policy(tomllib.loads(text))
    return {p.path: p.message for p in refused.value.problems}


def test_the_shipped_default_parses() -> None:
    policy = parse_sla_policy(tomllib.loads(DEFAULT_POLICY.read_text()))
    assert [t.name for t in policy.tiers] == ["standard"]
    assert set(policy.tiers[0].clocks) == {"accept", "first_contact", "follow_up", "disposition"}


def test_the_first_tier_whose_rules_hold_is_the_leads() -> None:
    policy = parse_sla_policy(tomllib.loads(POLICY))
    hot = {"grade": "A", "score": 80, "region": "EMEA", "source": "google"}
    assert policy.tier_for(hot).name == "hot"  # values compare without case
    assert policy.tier_for({**hot, "score": 69}).name == "rest"
    assert policy.tier_for({**hot, "grade": "C", "source": "partner-acme"}).name == "partners"
    assert policy.tier_for({"grade": None}).name == "rest"  # a missing fact matches no rule
    assert policy.tier_named("gone").name == "rest"


def test_clock_targets_in_minutes_hours_and_business_days() -> None:
    policy = parse_sla_policy(tomllib.loads(POLICY))
    hot, partners, _ = policy.tiers
    assert hot.clocks["accept"].duration(None) == timedelta(minutes=30)
    assert hot.clocks["first_contact"].duration(None) == timedelta(hours=2)
    # a business day of a 9-18 calendar is nine hours; around the clock it is 24
    assert hot.clocks["follow_up"].duration(hot.calendar) == timedelta(hours=45)
    assert partners.clocks["accept"].duration(None) == timedelta(hours=24)
    assert hot.clocks["follow_up"].attempts == 3
    assert hot.nurture.rejected == "sales-said-no"
    assert hot.nurture.not_now == "not-now"  # the default track


def test_the_issues_example_friday_evening_falls_due_on_monday_in_the_tiers_calendar() -> None:
    hot = parse_sla_policy(tomllib.loads(POLICY)).tiers[0]
    label, calendar = clock_calendar(hot, "sales", {})
    assert label == "tier hot"
    # 17:50 Berlin on Friday 27 November 2026, 30 minutes: due Monday 09:20 Berlin
    friday = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)
    due = schedule(hot.clocks["accept"], friday, calendar).due_at
    assert due == datetime(2026, 11, 30, 8, 20, tzinfo=UTC)


def test_the_tiers_calendar_else_the_named_team_calendar_else_the_leads_team() -> None:
    rest = parse_sla_policy(tomllib.loads(POLICY)).tiers[2]
    sales = parse_sla_policy(tomllib.loads(POLICY)).tiers[0].calendar
    assert sales is not None
    assert clock_calendar(rest, "sales", {"sales": sales}) == ("sales", sales)
    assert clock_calendar(rest, "other", {"sales": sales}) == (None, None)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ('[[tiers]]\nname = "a"\naccept = { minutes = 0 }', "tiers[0].accept", "must be positive"),
        ('[[tiers]]\nname = "a"\naccept = { minutes = -5 }', "tiers[0].accept", "must be positive"),
        ('[[tiers]]\nname = "a"\naccept = { minutes = 5, hours = 1 }', "tiers[0].accept", "exactly one"),
        ('[[tiers]]\nname = "a"\naccept = { minutes = 5, on_breach = "shout" }',
         "tiers[0].accept.on_breach", ""),
        ('[[tiers]]\nname = "a"\nwhen = { colour = "red" }', "tiers[0].when.colour", "unknown field"),
        ('[[tiers]]\nname = "a"\nwhen = { score = "high" }', "tiers[0].when.score", "range"),
        ('[[tiers]]\nname = "a"\nwhen = { grade = "A" }', "tiers[0].when", "last tier"),
        ('[[tiers]]\nname = "a"\ncalendar = { timezone = "UTC", hours = "" }', "tiers[0].calendar.hours", ""),
        ('[[tiers]]\nname = "a"\ncalendar = { timezone = "Mars/Base", hours = "mon 09:00-10:00" }',
         "tiers[0].calendar.timezone", ""),
        ('[[tiers]]\nname = "a"\nfollow_up = { attempts = 3, days = 5, unresponsive_reasons = ["ghosted"] }',
         "tiers[0].follow_up.unresponsive_reasons[0]", "unknown lost reason"),
        ('[[tiers]]\nname = "a"\n[[tiers]]\nname = "a"', "tiers[1].name", "named twice"),
        ("tiers = []", "tiers", ""),
        ('[[tiers]]\nname = "a"\n[[targets]]\nteam = "x"\nregion = "y"\nmqls = 1',
         "targets[0]", "not both"),
    ],
)  # fmt: skip
def test_a_wrong_part_is_named_by_its_path(text: str, path: str, message: str) -> None:
    found = problems(text)
    assert path in found, found
    assert message in found[path]


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-11", "month", datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12", "month", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-W53", "week", datetime(2026, 12, 28, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC)),
        ("2026-Q4", "quarter", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_periods(text: str, kind: str, start: datetime, end: datetime) -> None:
    period = parse_period(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)


@pytest.mark.parametrize("text", ["2026-13", "2025-W53", "2026-Q5", "november", ""])
def test_a_wrong_period_is_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_mqls_delivered_against_the_targets() -> None:
    targets = parse_sla_policy(tomllib.loads(POLICY)).targets
    counts = [
        Verdicts("sales", "emea", "accepted", None, 6),
        Verdicts("sales", "emea", "rejected", "bad_data", 2),
        Verdicts("sales", "amer", "rejected", "no_need", 1),
        Verdicts("sales", "amer", None, None, 3),
        Verdicts("smb", "emea", "accepted", None, 4),
    ]
    sales, smb = marketing_rows(counts, targets, "month")  # the quarter's region target is not a month's
    assert (sales.team, sales.delivered, sales.accepted, sales.rejected, sales.awaiting) == (
        "sales",
        12,
        6,
        3,
        3,
    )
    assert sales.rejected_by_reason == Counter({"bad_data": 2, "no_need": 1})
    assert sales.volume_met is True  # 12 of 10
    assert sales.accepted_share == 0.5
    assert sales.quality_met is False  # half accepted, a 70 % target
    assert (smb.team, smb.target, smb.delivered, smb.volume_met) == ("smb", None, 4, None)
    (emea,) = marketing_rows(counts, targets, "quarter")[:1]
    assert (emea.region, emea.delivered, emea.volume_met) == ("emea", 12, False)


@pytest.mark.parametrize("target", ["days = 1e12", "days = 367", "minutes = 1e9", "hours = 9000"])
def test_a_clock_target_past_a_year_is_refused_at_its_path(target: str) -> None:
    text = f'[[tiers]]\nname = "all"\naccept = {{ {target} }}\n'
    assert "tiers[0].accept" in " ".join(problems(text))
