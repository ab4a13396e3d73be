"""Funnel cells: counts that add, histograms whose percentiles stay within 2 % of the exact ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.domain.funnel import GROUP_COLUMNS, STEPS
from reporting.domain.funnel_cells import (
    ACCURACY,
    BUCKETS,
    DIMENSIONS,
    FunnelCell,
    FunnelFacts,
    LeadFacts,
    bucket_of,
    bucket_value,
    cells_of,
    decode_spans,
    encode_spans,
    merged,
    percentile,
)

SECOND = 1 / 3600
spans_in_hours = st.floats(min_value=2 * SECOND, max_value=5 * 365 * 24, allow_nan=False)


def _histogram(values: list[float]) -> np.ndarray:
    histogram = np.zeros(BUCKETS, dtype=np.int64)
    np.add.at(histogram, bucket_of(np.array(values, dtype=float)), 1)
    return histogram


@given(spans_in_hours)
def test_a_bucket_reads_within_the_accuracy_of_every_span_in_it(hours: float) -> None:
    index = int(bucket_of(np.array([hours]))[0])
    assert abs(bucket_value(index) - hours) <= ACCURACY * hours * (1 + 1e-9)


@given(st.lists(spans_in_hours, min_size=1, max_size=60), st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]))
def test_a_percentile_stays_within_the_accuracy_of_percentile_cont(values: list[float], share: float) -> None:
    # percentile_cont interpolates linearly between the order statistics around share x (n - 1)
    exact = float(np.percentile(values, share * 100, method="linear"))
    found = percentile(_histogram(values), share)
    assert found is not None
    assert abs(found - exact) <= ACCURACY * exact * (1 + 1e-9)


def test_the_median_of_one_to_four_hours() -> None:
    histogram = _histogram([1.0, 2.0, 3.0, 4.0])
    assert percentile(histogram, 0.5) == pytest.approx(2.5, rel=ACCURACY)
    assert percentile(histogram, 0.9) == pytest.approx(3.7, rel=ACCURACY)


def test_no_spans_no_percentile_and_a_second_or_less_reads_as_zero() -> None:
    assert percentile(np.zeros(BUCKETS, dtype=np.int64), 0.5) is None
    assert percentile(_histogram([0.0, SECOND, -2.0]), 0.5) == 0.0
    assert int(bucket_of(np.array([np.nan]))[0]) == -1


def test_spans_survive_their_encoding() -> None:
    spans = np.zeros((len(STEPS), BUCKETS), dtype=np.int64)
    spans[0, 3], spans[2, 511], spans[5, 0] = 7, 70_000, 1
    assert (decode_spans(encode_spans(spans)) == spans).all()
    assert encode_spans(np.zeros_like(spans)) == b""


def _lead(day: int, source: str, *, won: bool = False, amount: str | None = None) -> LeadFacts:
    keys = tuple(source if column == "source" else "(none)" for column in GROUP_COLUMNS.values())
    flags = (True, won, won, won, won, False, False, False)
    spans = (1.0, 2.0, 3.0, 4.0, 5.0, 15.0) if won else (1.0, None, None, None, None, None)
    return LeadFacts(date(2026, 3, day), keys, flags, Decimal(amount) if amount else None, spans)


def test_cells_count_each_dimension_and_all_per_day() -> None:
    leads = [_lead(1, "google", won=True, amount="100.50"), _lead(1, "google"), _lead(2, "meetup")]
    cells = cells_of(FunnelFacts.of(leads))
    assert {dimension for _, dimension, _ in cells} == set(DIMENSIONS)
    google = cells[(date(2026, 3, 1), "source", "google")]
    assert (google.count("leads"), google.count("mqls"), google.count("won")) == (2, 2, 1)
    assert google.revenue == Decimal("100.50")
    assert int(google.spans[0].sum()) == 2
    assert int(google.spans[5].sum()) == 1
    assert cells[(date(2026, 3, 2), "all", "")].count("leads") == 1
    assert cells[(date(2026, 3, 1), "campaign", "(none)")].count("leads") == 2


@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["a", "b"]), st.booleans()), max_size=30))
def test_cells_of_parts_add_up_to_the_cells_of_the_whole(specs: list[tuple[int, str, bool]]) -> None:
    leads = [_lead(day, source, won=won, amount="10" if won else None) for day, source, won in specs]
    half = len(leads) // 2
    whole = merged((f"{d}|{dim}|{k}", c) for (d, dim, k), c in cells_of(FunnelFacts.of(leads)).items())
    parts = merged(
        (f"{d}|{dim}|{k}", c)
        for part in (leads[:half], leads[half:])
        for (d, dim, k), c in cells_of(FunnelFacts.of(part)).items()
    )
    assert whole.keys() == parts.keys()
    for key, cell in whole.items():
        assert (cell.counts == parts[key].counts).all()
        assert (cell.spans == parts[key].spans).all()
        assert cell.revenue == parts[key].revenue


def test_an_empty_cell_adds_nothing() -> None:
    cell = cells_of(FunnelFacts.of([_lead(1, "a", won=True, amount="5")]))[(date(2026, 3, 1), "all", "")]
    before = cell.counts.copy()
    cell.add(FunnelCell())
    assert (cell.counts == before).all()
