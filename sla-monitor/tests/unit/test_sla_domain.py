from datetime import UTC, datetime, timedelta

import pytest

from sla_monitor.domain.progress import effect_of
from sla_monitor.domain.sla_clock import accept_policy, due_at, escalation_for

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
        ("rejected", "not our market", True, True, "rejected_by_sales"),
        ("lost", "Not now, next quarter", True, True, "lost_not_now"),
        ("lost", "went with a competitor", True, True, None),
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
