from datetime import UTC, datetime, timedelta

import pytest

from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.progress import effect_of
from sla_monitor.domain.sla_clock import accept_policy, due_at, escalation_for, warn_at
from sla_monitor.domain.stages import reason_problem, transition

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_the_accept_clock_falls_due_after_its_minutes() -> None:
    assert due_at(accept_policy(30), START) == START + timedelta(minutes=30)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_at(accept_policy(30), datetime(2026, 11, 2, 9, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(("assignment", "escalation"), [(1, "reassign"), (3, "reassign"), (4, "recycle")])
def test_the_ladder_reassigns_then_recycles(assignment: int, escalation: str) -> None:
    assert escalation_for(assignment=assignment, max_reassignments=3) == escalation


@pytest.mark.parametrize(
    ("stage", "reason", "closes", "cancels", "recycle"),
    [
        ("accepted", None, True, False, None),
        ("contacted", None, True, False, None),
        ("won", None, True, True, None),
        ("meeting", None, True, False, None),
        ("rejected", "not_a_lead", True, True, "rejected_by_sales"),
        ("lost", "bad_timing", True, True, "lost_not_now"),
        ("lost", "no_budget", True, True, "lost_not_now"),
        ("lost", "lost_to_competitor", True, True, None),
    ],
)
def test_what_a_step_does(
    stage: str, reason: str | None, closes: bool, cancels: bool, recycle: str | None
) -> None:
    effect = effect_of(stage, reason)  # type: ignore[arg-type]
    assert (effect.closes_accept_timer, effect.cancels_timers, effect.recycle_reason) == (
        closes,
        cancels,
        recycle,
    )


@pytest.mark.parametrize(
    ("current", "stage", "allowed"),
    [
        (None, "accepted", True),
        (None, "rejected", True),
        (None, "won", False),  # won before accepted
        ("accepted", "won", True),  # later stages may skip the ones between
        ("contacted", "contacted", True),  # follow-up attempts
        ("sql", "contacted", False),  # no going back
        ("won", "lost", False),  # anything after won
        ("won", "won", False),
        ("rejected", "accepted", False),
    ],
)
def test_the_stage_machine(current: str | None, stage: str, allowed: bool) -> None:
    assert transition(current, stage).allowed is allowed


def test_a_refused_step_names_the_current_stage_and_the_allowed_next_ones() -> None:
    assert transition(None, "won").explain("won") == (
        "cannot go from assigned, no step yet to won; allowed next: accepted, rejected"
    )
    assert "allowed next: nothing: the lead is closed" in transition("won", "lost").explain("lost")


@pytest.mark.parametrize(
    ("stage", "reason", "problem"),
    [
        ("rejected", "no_budget", None),
        ("rejected", None, "rejected needs a reason code: no_budget, no_authority"),
        ("rejected", "price", "unknown reason code 'price' for rejected"),
        ("lost", "price", None),
        ("lost", "student", "unknown reason code 'student' for lost"),
        ("accepted", "because", "accepted takes no reason code"),
        ("won", None, None),
    ],
)
def test_reason_codes(stage: str, reason: str | None, problem: str | None) -> None:
    found = reason_problem(stage, reason)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


def test_the_warning_comes_at_its_share_of_the_clock_on_the_same_calendar() -> None:
    assert warn_at(accept_policy(30, warn_share=0.8), START) == START + timedelta(minutes=24)
    assert warn_at(accept_policy(30), START) is None  # no share: no warning
    nine_to_six = BusinessCalendar.of("UTC", "mon-fri 09:00-18:00")
    friday_evening = datetime(2026, 11, 27, 17, 50, tzinfo=UTC)
    # 24 of the 30 minutes: 10 on Friday, 14 on Monday morning
    assert warn_at(accept_policy(30, 0.8), friday_evening, nine_to_six) == datetime(
        2026, 11, 30, 9, 14, tzinfo=UTC
    )
