from datetime import UTC, datetime, timedelta

import pytest

from lead_schemas import Stage
from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.progress import cadence_problem, effect_of
from sla_monitor.domain.sla_clock import business_time, escalation_for, schedule
from sla_monitor.domain.sla_policy import Clock, OnBreach
from sla_monitor.domain.stages import reason_problem, transition

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _clock(minutes: float, warn_share: float = 0.0) -> Clock:
    return Clock("accept", timedelta(minutes=minutes), None, warn_share, "reassign")


def test_the_accept_clock_falls_due_after_its_minutes() -> None:
    assert schedule(_clock(30), START, None).due_at == START + timedelta(minutes=30)


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        schedule(_clock(30), datetime(2026, 11, 2, 9, 0), None)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("on_breach", "assignment", "escalation"),
    [
        ("reassign", 1, "reassign"),
        ("reassign", 3, "reassign"),
        ("reassign", 4, "recycle"),
        ("notify_manager", 9, "notify"),
        ("recycle", 1, "recycle"),
    ],
)
def test_the_ladder_reassigns_then_recycles(on_breach: OnBreach, assignment: int, escalation: str) -> None:
    assert escalation_for(on_breach, assignment=assignment, max_reassignments=3) == escalation


@pytest.mark.parametrize(
    ("stage", "reason", "meets", "attempt", "starts", "closes", "recycle"),
    [
        ("accepted", None, {"accept"}, False, True, False, None),
        ("contacted", None, {"accept", "first_contact"}, True, False, False, None),
        ("meeting", None, {"accept", "first_contact"}, True, False, False, None),
        ("sql", None, {"accept", "first_contact", "follow_up", "disposition"}, False, False, False, None),
        ("won", None, {"accept", "first_contact", "follow_up", "disposition"}, False, False, True, None),
        ("rejected", "not_a_lead", {"accept", "disposition"}, False, False, True, "rejected_by_sales"),
        ("lost", "bad_timing", {"accept", "disposition"}, False, False, True, "lost_not_now"),
        ("lost", "no_budget", {"accept", "disposition"}, False, False, True, "lost_not_now"),
        ("lost", "lost_to_competitor", {"accept", "disposition"}, False, False, True, None),
    ],
)
def test_what_a_step_does(
    stage: Stage,
    reason: str | None,
    meets: set[str],
    attempt: bool,
    starts: bool,
    closes: bool,
    recycle: str | None,
) -> None:
    effect = effect_of(stage, reason)
    assert set(effect.meets) == meets
    assert effect.attempt is attempt
    assert bool(effect.starts) is starts
    assert (effect.closes_lead, effect.recycle_reason) == (closes, recycle)


def test_acceptance_starts_the_clocks_after_it() -> None:
    assert effect_of("accepted", None).starts == ("first_contact", "follow_up", "disposition")


def test_closing_as_unresponsive_waits_for_the_follow_up_cadence() -> None:
    unresponsive = frozenset({"no_decision"})
    problem = cadence_problem("lost", "no_decision", attempts=1, required=3, unresponsive=unresponsive)
    assert problem is not None
    assert "after 1 of 3 follow-up attempts" in problem
    assert cadence_problem("lost", "no_decision", attempts=3, required=3, unresponsive=unresponsive) is None
    assert cadence_problem("lost", "price", attempts=0, required=3, unresponsive=unresponsive) is None
    assert cadence_problem("won", None, attempts=0, required=3, unresponsive=unresponsive) is None


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
        "cannot go from no step yet to won; allowed next: accepted, rejected"
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
    assert schedule(_clock(30, warn_share=0.8), START, None).warn_at == START + timedelta(minutes=24)
    assert schedule(_clock(30), START, None).warn_at is None  # no share: no warning
    nine_to_six = BusinessCalendar.of("UTC", "mon-fri 09:00-18:00")
    friday_evening = datetime(2026, 11, 27, 17, 50, tzinfo=UTC)
    # 24 of the 30 minutes: 10 on Friday, 14 on Monday morning
    planned = schedule(_clock(30, 0.8), friday_evening, nine_to_six)
    assert planned.warn_at == datetime(2026, 11, 30, 9, 14, tzinfo=UTC)
    assert planned.due_at == datetime(2026, 11, 30, 9, 20, tzinfo=UTC)


def test_a_never_assigned_lead_may_start_at_any_stage_and_keeps_the_order_after() -> None:
    assert transition(None, "won", assigned=False).allowed
    assert not transition(None, "won").allowed
    assert not transition("won", "lost", assigned=False).allowed


def test_business_time_taken_counts_only_working_time() -> None:
    nine_to_six = BusinessCalendar.of("UTC", "mon-fri 09:00-18:00")
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert business_time(nine_to_six, friday, monday) == timedelta(hours=2)
    assert business_time(None, friday, monday) == monday - friday


@pytest.mark.parametrize("text", ["9999-Q4", "9999-12", "9999-W52", "0001-01", "1969-Q4", "2100-01"])
def test_a_period_outside_the_years_leadloop_takes_is_refused(text: str) -> None:
    from sla_monitor.domain.periods import InvalidPeriod, parse_period

    with pytest.raises(InvalidPeriod):
        parse_period(text)
