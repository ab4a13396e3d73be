"""A window cut into whole UTC months, days and hours and its ends: the pieces cover the window
exactly once, every stored piece is a whole period, and what is left live is under an hour a side."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reporting.domain.periods import ATTRIBUTION_GRAINS, FUNNEL_GRAINS, cut, next_period, period_of

INSTANTS = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001  hypothesis's bounds are naive; the zone comes after
    max_value=datetime(2030, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(INSTANTS, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)), st.booleans())
def test_the_pieces_cover_the_window_once(start: datetime, length: timedelta, funnel: bool) -> None:
    end = start + length
    grains = FUNNEL_GRAINS if funnel else ATTRIBUTION_GRAINS
    found = cut(start, end, grains)
    pieces = [(p, next_period(p, grain)) for grain in grains for p in found.periods[grain]]
    for low, _ in pieces:
        assert period_of(low, "day") == low  # whole periods only
    pieces += found.live
    pieces.sort()
    assert all(low < high for low, high in pieces)
    if pieces:
        assert pieces[0][0] == start
        assert pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in pairwise(pieces))  # no gap, no overlap
    assert len(found.live) <= 2
    # each end is under a day; a window holding no whole day is all live, and under two days
    assert all(high - low < timedelta(days=2) for low, high in found.live)


def test_a_month_two_days_and_the_partial_days_either_side() -> None:
    start, end = datetime(2026, 2, 27, 22, 30, tzinfo=UTC), datetime(2026, 4, 2, 1, 15, tzinfo=UTC)
    found = cut(start, end, FUNNEL_GRAINS)
    assert found.periods["month"] == [datetime(2026, 3, 1, tzinfo=UTC)]
    assert found.periods["day"] == [datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)]
    assert found.live == [
        (start, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2026, 4, 2, tzinfo=UTC), end),
    ]


def test_period_of_reads_any_zone_as_utc() -> None:
    at = datetime(2026, 3, 1, 0, 30, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert period_of(at, "month") == datetime(2026, 3, 1, tzinfo=UTC)
    assert period_of(at, "day") == datetime(2026, 3, 1, tzinfo=UTC)
    assert next_period(datetime(2026, 12, 1, tzinfo=UTC), "month") == datetime(2027, 1, 1, tzinfo=UTC)
