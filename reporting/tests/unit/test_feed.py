"""The live feed shows the furthest step a lead reached; sales' verdicts outrank the steps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reporting.domain.feed import feed_stage

AT = datetime(2026, 12, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("score", "assigned", "accepted", "rejected", "recycled", "stage"),
    [
        (None, None, None, False, False, "captured"),
        (12, None, None, False, False, "scored"),
        (0, None, None, False, False, "scored"),  # a score of 0 is a score
        (80, AT, None, False, False, "routed"),
        (None, AT, None, False, False, "routed"),  # routed before its score event arrived
        (80, AT, AT, False, False, "accepted"),
        (80, AT, None, True, False, "rejected"),
        (80, AT, AT, False, True, "recycled"),
    ],
)
def test_the_furthest_step_reached(
    score: int | None,
    assigned: datetime | None,
    accepted: datetime | None,
    rejected: bool,
    recycled: bool,
    stage: str,
) -> None:
    found = feed_stage(
        score=score, assigned_at=assigned, sal_at=accepted, rejected=rejected, recycled=recycled
    )
    assert found == stage
