"""Replaying past clocks through a draft SLA policy: hand-worked cases."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sla_monitor.domain.simulate import PastClock, replay, summary
from sla_monitor.domain.sla_policy import ClockName, parse_sla_policy

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DRAFT = parse_sla_policy(
    tomllib.loads(
        """
[[tiers]]
name = "vip"
when = { grade = "A" }
accept = { minutes = 10 }

[[tiers]]
name = "rest"
accept = { minutes = 60 }
"""
    )
)


def past(clock: ClockName, grade: str, status: str, minutes: float, due_minutes: float = 30) -> PastClock:
    return PastClock(
        lead_id=uuid4(),
        clock=clock,
        tier="old",
        team="sales",
        owner="ana",
        started_at=START,
        due_at=START + timedelta(minutes=due_minutes),
        status=status,  # type: ignore[arg-type]
        closed_at=START + timedelta(minutes=minutes),
        facts={"grade": grade},
    )


def test_each_clock_meets_or_breaches_the_drafts_due_time() -> None:
    clocks = [
        past("accept", "A", "met", 5),  # vip: 10 min — met either way
        past("accept", "A", "met", 20),  # met in 30, breached in 10
        past("accept", "B", "met", 45, due_minutes=30),  # late under 30, in time under 60
        past("accept", "A", "breached", 30),  # breached at 30; 10 is earlier: breached
        past("accept", "B", "breached", 30),  # breached at 30; 60 is later: unknown
        past("first_contact", "B", "met", 5),  # the draft has no first-contact clock
    ]
    outcomes = [(r.actual, r.draft, r.draft_tier) for r in replay(clocks, DRAFT, {})]
    assert outcomes == [
        ("met", "met", "vip"),
        ("met", "breached", "vip"),
        ("breached", "met", "rest"),
        ("breached", "breached", "vip"),
        ("breached", "unknown", "rest"),
        ("met", "not_run", "rest"),
    ]
    found = summary(replay(clocks, DRAFT, {}))
    assert found["by_clock"]["accept"] == {
        "actual": {"breached": 3, "met": 2},
        "draft": {"breached": 2, "met": 2, "unknown": 1},
    }
    assert found["changed_total"] == 4
