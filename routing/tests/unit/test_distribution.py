"""Smooth weighted round robin, eligibility and credits: pure, no I/O."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadkit.hours import parse_hours
from routing.domain.distribute import next_turn, skip_reason
from routing.domain.roster import Absence, Load, Rep

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # a Tuesday


def rep(rep_id: str, weight: int = 1, **extra: Any) -> Rep:
    return Rep(
        id=rep_id, name=rep_id.upper(), email=f"{rep_id}@example.com", team="t", weight=weight, **extra
    )


def run(reps: list[Rep], rounds: int, **kwargs: object) -> tuple[list[str | None], dict[str, int]]:
    credits: dict[str, int] = {}
    chosen: list[str | None] = []
    for _ in range(rounds):
        turn = next_turn(reps, {}, credits, at=NOW, method="weighted_round_robin", **kwargs)  # type: ignore[arg-type]
        credits = turn.credits
        chosen.append(turn.chosen)
    return chosen, credits


def test_the_interleaving_nginx_documents_for_weights_5_1_1() -> None:
    # nginx's smooth weighted round robin (ngx_http_upstream_round_robin.c, commit 52327e0) gives
    # "a a b a c a a" for a=5, b=1, c=1: the heavy rep's turns are spread, not bunched.
    chosen, credits = run([rep("a", 5), rep("b"), rep("c")], 7)
    assert chosen == ["a", "a", "b", "a", "c", "a", "a"]
    assert credits == {"a": 0, "b": 0, "c": 0}  # a full cycle returns to the start


def test_ten_thousand_assignments_hold_unequal_weights_within_two_percent() -> None:
    weights = {"a": 5, "b": 3, "c": 2, "d": 1, "e": 1}
    chosen, _ = run([rep(r, w) for r, w in weights.items()], 10_000)
    counts = Counter(chosen)
    total = sum(weights.values())
    for rep_id, weight in weights.items():
        assert abs(counts[rep_id] / 10_000 - weight / total) <= 0.02


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6), st.integers(0, 50))
def test_every_run_of_one_cycle_gives_each_rep_exactly_its_weight(weights: list[int], offset: int) -> None:
    reps = [rep(f"r{i}", w) for i, w in enumerate(weights)]
    chosen, _ = run(reps, offset + sum(weights))
    cycle = Counter(chosen[offset:])
    assert {r.id: cycle[r.id] for r in reps} == {r.id: r.weight for r in reps}


def test_a_rep_passed_over_while_absent_is_credited_and_gets_its_share_back() -> None:
    away = Absence(date(2026, 11, 24), date(2026, 11, 24), "vacation")
    reps = [rep("a", 1, absences=(away,)), rep("b"), rep("c")]
    credits: dict[str, int] = {}
    chosen: list[str | None] = []
    for day in (NOW, NOW.replace(day=25)):  # absent the first day, back the second
        for _ in range(6):
            turn = next_turn(reps, {}, credits, at=day, method="weighted_round_robin")
            credits = turn.credits
            chosen.append(turn.chosen)
            skipped = {c.rep_id: c for c in turn.candidates}
            if day == NOW:
                assert skipped["a"].why == "absent"
                assert skipped["a"].credited
    assert Counter(chosen) == {"a": 4, "b": 4, "c": 4}  # over both days, a's share is whole
    # by hand: absent, a gains 1 a round (6 after the first day) while b and c take turns; back, it
    # holds the most and takes four in a row, 7-3, 5-3, 3-3, 1-3 against b and c's 0-2 and 1-1
    assert chosen == ["b", "c", "b", "c", "b", "c", "a", "a", "a", "a", "b", "c"]


def test_credit_is_bounded_by_the_limit() -> None:
    reps = [rep("a", 1, active=True, daily_cap=0), rep("b")]
    credits: dict[str, int] = {}
    for _ in range(100):
        credits = next_turn(reps, {}, credits, at=NOW, method="weighted_round_robin", credit_limit=3).credits
    assert credits["a"] == 3 * 2  # three leads' worth of a two-weight round


def test_switched_off_reps_take_no_turns_and_earn_no_credit() -> None:
    chosen, credits = run([rep("a", active=False), rep("b"), rep("c")], 4)
    assert "a" not in chosen
    assert "a" not in credits


def test_round_robin_ignores_weights() -> None:
    credits: dict[str, int] = {}
    chosen = []
    for _ in range(4):
        turn = next_turn([rep("a", 9), rep("b", 1)], {}, credits, at=NOW, method="round_robin")
        credits = turn.credits
        chosen.append(turn.chosen)
    assert Counter(chosen) == {"a": 2, "b": 2}


def test_nobody_eligible_changes_nothing_and_says_why_for_everyone() -> None:
    turn = next_turn(
        [rep("a"), rep("b")], {}, {"a": 1, "b": -1}, at=NOW, method="round_robin", exclude={"a", "b"}
    )
    assert turn.chosen is None
    assert turn.credits == {"a": 1, "b": -1}
    assert {c.why for c in turn.candidates} == {"already_had_lead"}


@pytest.mark.parametrize(
    ("extra", "load", "reason"),
    [
        ({"active": False}, Load(), "switched_off"),
        ({"absences": (Absence(date(2026, 11, 23), date(2026, 11, 25), "conference"),)}, Load(), "absent"),
        ({"daily_cap": 3}, Load(0, 3, 3), "capped_daily"),
        ({"weekly_cap": 10}, Load(0, 1, 10), "capped_weekly"),
        ({"max_open": 5}, Load(5, 0, 0), "at_capacity"),
        ({"hours": parse_hours("mon-fri 09:00-13:00")}, Load(), "outside_hours"),
        ({"skills": frozenset({"language:fr"})}, Load(), "no_skill"),
    ],
)
def test_each_reason_a_rep_is_passed_over(extra: dict[str, Any], load: Load, reason: str) -> None:
    found = skip_reason(rep("a", **extra), load, at=NOW, skills=["language:de"], exclude=())
    assert found is not None
    assert found[0] == reason


def test_an_eligible_rep_has_no_reason() -> None:
    eligible = rep(
        "a",
        daily_cap=3,
        max_open=5,
        hours=parse_hours("mon-fri 09:00-17:00"),
        skills=frozenset({"language:de"}),
    )
    assert skip_reason(eligible, Load(4, 2, 2), at=NOW, skills=["language:de"], exclude=()) is None
