"""Funnels that add up: one key's stage counts, revenue and velocity histograms, for a day, a
month or a window, merged by summing. Pure (numpy).

Counts and revenue add exactly. Velocity percentiles do not add, so each step's spans are kept
as a log-bucket histogram (the DDSketch mapping): bucket i > 0 holds the spans in
(s*g^(i-1), s*g^i] with s one second and g = (1+a)/(1-a), and reads as s*2g^i/(g+1), which is
within a = 2 % of every span in it; bucket 0 holds the spans of a second or less (read as 0). A
percentile is then interpolated between order statistics as PostgreSQL's percentile_cont does.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from reporting.domain.funnel import GROUP_COLUMNS, STEPS

ACCURACY = 0.02
GAMMA = (1 + ACCURACY) / (1 - ACCURACY)
BUCKETS = 512  # up to ~23 years
SMALLEST_HOURS = 1 / 3600
COUNTS = ("leads", "mqls", "sals", "sqls", "opportunities", "won", "lost", "rejected", "recycled")
FLAGS = ("is_mql", "is_sal", "is_sql", "is_opportunity", "is_won", "is_lost", "is_rejected", "is_recycled")
STEP_NAMES = tuple(name for name, _, _ in STEPS)
# the dimensions a cell is kept for: every group key that is not a period, and "all" (key "") for
# the periods, whose key is the day itself
ALL = "all"
DIMENSIONS = (ALL, *GROUP_COLUMNS)
_SPARSE = np.dtype([("step", "u1"), ("bucket", "<u2"), ("count", "<u4")])
_LOG_GAMMA = math.log(GAMMA)
Label = TypeVar("Label", bound=Hashable)

IntArray = npt.NDArray[np.int64]


def _spans() -> IntArray:
    return np.zeros((len(STEPS), BUCKETS), dtype=np.int64)


def _counts() -> IntArray:
    return np.zeros(len(COUNTS), dtype=np.int64)


@dataclass
class FunnelCell:
    counts: IntArray = field(default_factory=_counts)
    revenue: Decimal = Decimal(0)
    spans: IntArray = field(default_factory=_spans)

    def add(self, other: FunnelCell) -> None:
        self.counts += other.counts
        self.revenue += other.revenue
        self.spans += other.spans

    def subtract(self, other: FunnelCell) -> None:
        self.counts -= other.counts
        self.revenue -= other.revenue
        self.spans -= other.spans

    @property
    def empty(self) -> bool:
        """Nothing counted: a change that took away what it added."""
        return not self.counts.any() and not self.revenue and not self.spans.any()

    def count(self, name: str) -> int:
        return int(self.counts[COUNTS.index(name)])

    def percentile(self, step: str, share: float) -> float | None:
        return percentile(self.spans[STEP_NAMES.index(step)], share)


def bucket_of(hours: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """The bucket of each span in hours (NaN: none, -1)."""
    missing = np.isnan(hours)
    scaled = np.where(missing | (hours <= SMALLEST_HOURS), SMALLEST_HOURS, hours) / SMALLEST_HOURS
    found = np.clip(np.ceil(np.log(scaled) / _LOG_GAMMA - 1e-9), 0, BUCKETS - 1).astype(np.int64)
    return np.where(missing, -1, found)


def bucket_value(index: int) -> float:
    return 0.0 if index == 0 else SMALLEST_HOURS * 2 * GAMMA**index / (GAMMA + 1)


def percentile(histogram: IntArray, share: float) -> float | None:
    """percentile_cont(share) of the spans the histogram holds, each read as its bucket's value."""
    total = int(histogram.sum())
    if not total:
        return None
    rank = share * (total - 1)
    below, above = math.floor(rank), math.ceil(rank)
    cumulative = np.cumsum(histogram)
    low = bucket_value(int(np.searchsorted(cumulative, below, side="right")))
    high = bucket_value(int(np.searchsorted(cumulative, above, side="right")))
    return low + (rank - below) * (high - low)


def encode_spans(spans: IntArray) -> bytes:
    steps, buckets = np.nonzero(spans)
    records = np.empty(len(steps), dtype=_SPARSE)
    records["step"], records["bucket"], records["count"] = steps, buckets, spans[steps, buckets]
    return records.tobytes()


def decode_spans(blob: bytes) -> IntArray:
    spans = _spans()
    records = np.frombuffer(blob, dtype=_SPARSE)
    spans[records["step"], records["bucket"]] = records["count"]
    return spans


@dataclass(frozen=True)
class LeadFacts(Generic[Label]):
    """What the funnel counts of one lead, as the projection holds it."""

    day: Label  # the period of capture it is counted in: a UTC day, or (grain, start)
    keys: tuple[str, ...]  # one per GROUP_COLUMNS, in its order; NONE_KEY for none
    flags: tuple[bool, ...]  # FLAGS
    revenue: Decimal | None
    spans: tuple[float | None, ...]  # hours, one per STEPS; None where the lead did not get there


@dataclass(frozen=True)
class FunnelFacts(Generic[Label]):
    """Many leads' facts by column (a poll's moved leads, or a window's end counted live)."""

    days: Sequence[Label]
    keys: Sequence[Sequence[str]]  # per GROUP_COLUMNS, every lead's key
    flags: npt.NDArray[np.bool_]  # (leads, FLAGS)
    revenue: Sequence[Decimal | None]
    spans: npt.NDArray[np.float64]  # (leads, STEPS), hours; NaN where the lead did not get there

    @classmethod
    def of(cls, leads: Sequence[LeadFacts[Label]]) -> FunnelFacts[Label]:
        return cls(
            days=[lead.day for lead in leads],
            keys=[[lead.keys[i] for lead in leads] for i in range(len(GROUP_COLUMNS))],
            flags=np.array([lead.flags for lead in leads], dtype=bool).reshape(len(leads), len(FLAGS)),
            revenue=[lead.revenue for lead in leads],
            spans=np.array(
                [[np.nan if s is None else s for s in lead.spans] for lead in leads], dtype=float
            ).reshape(len(leads), len(STEPS)),
        )


def cells_of(facts: FunnelFacts[Label]) -> dict[tuple[Label, str, str], FunnelCell]:
    """The cells of these leads by (period, dimension, key); vectorized per dimension."""
    cells: dict[tuple[Label, str, str], FunnelCell] = {}
    leads = len(facts.days)
    if not leads:
        return cells
    flags = np.column_stack([np.ones(leads, dtype=bool), facts.flags]).astype(np.float64)
    buckets = bucket_of(facts.spans)
    span_rows, span_steps = np.nonzero(buckets >= 0)
    span_buckets = buckets[span_rows, span_steps]
    earning = [(row, amount) for row, amount in enumerate(facts.revenue) if amount]
    for dimension_index, dimension in enumerate(DIMENSIONS):
        labels: Iterable[tuple[Label, str]] = (
            ((day, "") for day in facts.days)
            if dimension == ALL
            else zip(facts.days, facts.keys[dimension_index - 1], strict=True)
        )
        index: dict[tuple[Label, str], int] = {}
        group = np.fromiter((index.setdefault(label, len(index)) for label in labels), np.int64, leads)
        count = len(index)
        counts = np.column_stack(
            [np.bincount(group, weights=flags[:, column], minlength=count) for column in range(len(COUNTS))]
        ).astype(np.int64)
        flat = (group[span_rows] * len(STEPS) + span_steps) * BUCKETS + span_buckets
        spans = np.bincount(flat, minlength=count * len(STEPS) * BUCKETS).reshape(count, len(STEPS), BUCKETS)
        revenue = [Decimal(0)] * count
        for row, amount in earning:
            revenue[group[row]] += amount
        for (day, key), at in index.items():
            cells[(day, dimension, key)] = FunnelCell(counts[at], revenue[at], spans[at].astype(np.int64))
    return cells


def merged(cells: Iterable[tuple[str, FunnelCell]]) -> dict[str, FunnelCell]:
    """Cells summed by key."""
    found: dict[str, FunnelCell] = {}
    for key, cell in cells:
        found.setdefault(key, FunnelCell()).add(cell)
    return found


def cell_from(counts: Sequence[int], revenue: Any, spans: bytes) -> FunnelCell:
    return FunnelCell(np.array(counts, dtype=np.int64), Decimal(revenue), decode_spans(spans))
