"""A window's funnel summed from the cells the projection keeps (`funnel_cells`, `funnel_spans`:
per UTC day and month of capture, `reporting.db.aggregates`): its whole months and days from the
tables, and its partial first and last days counted live from the lead rows. Counts and revenue
are exact; velocity comes from the histograms (`reporting.domain.funnel_cells`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from leadkit.db import Connection
from reporting.db.sql import between
from reporting.domain.funnel import GROUP_COLUMNS, NONE_KEY, PERIODS, STEPS, GroupBy
from reporting.domain.funnel_cells import (
    ALL,
    BUCKETS,
    COUNTS,
    FLAGS,
    FunnelCell,
    FunnelFacts,
    cells_of,
    merged,
)
from reporting.domain.periods import FUNNEL_GRAINS, Cut, Grain, cut

# one row of arrays: asyncpg decodes those in C, where tens of thousands of records cost seconds
_KEYS = ", ".join(
    f"array_agg(coalesce({column}, '{NONE_KEY}')) AS {name}" for name, column in GROUP_COLUMNS.items()
)
_SPANS = ", ".join(f"coalesce({between(start, end, 3600.0)}, 'NaN')" for _, start, end in STEPS)
_FACTS = f"""
SELECT array_agg((captured_at AT TIME ZONE 'UTC')::date) AS days, {_KEYS},
       array_agg(ARRAY[{", ".join(FLAGS)}]) AS flags, array_agg(revenue) AS revenue,
       array_agg(ARRAY[{_SPANS}]) AS spans
FROM lead_funnel WHERE captured_at >= $1 AND captured_at < $2
"""
# the stored periods of a window: one list per grain; $1 the dimension
_IN_PERIODS = """dimension = $1 AND ((grain = 'month' AND period = ANY($2::timestamptz[]))
    OR (grain = 'day' AND period = ANY($3::timestamptz[])))"""


def _report_key(group_by: GroupBy) -> str:
    """A stored cell's key under a grouping: the period of capture's day, week or month, or its key."""
    if group_by in PERIODS:
        return f"to_char(date_trunc('{group_by}', period AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    return "key"


def _stored_cells(group_by: GroupBy) -> str:
    sums = ", ".join(f"sum({name})::bigint AS {name}" for name in COUNTS)
    return f"""
SELECT {_report_key(group_by)} AS key, {sums}, sum(revenue) AS revenue FROM funnel_cells
WHERE {_IN_PERIODS} GROUP BY 1 HAVING sum(leads) <> 0
"""


def _stored_spans(group_by: GroupBy) -> str:
    # as text: numpy parses a histogram's 512 counts in C, where a list of Python ints costs ten
    # times as much (a year by week is two thousand histograms)
    return (
        f"SELECT {_report_key(group_by)} AS key, step, array_to_string(counts, ',') AS counts"
        f" FROM funnel_spans WHERE {_IN_PERIODS}"
    )


async def load_cells(
    conn: Connection, start: datetime, end: datetime
) -> dict[tuple[date, str, str], FunnelCell]:
    """The live cells of the leads captured in [start, end)."""
    row = await conn.fetchrow(_FACTS, start, end)
    if row is None or row["days"] is None:
        return {}
    facts = FunnelFacts(
        days=row["days"],
        keys=[row[name] for name in GROUP_COLUMNS],
        flags=np.array(row["flags"], dtype=bool).reshape(len(row["days"]), len(FLAGS)),
        revenue=row["revenue"],
        spans=np.array(row["spans"], dtype=float).reshape(len(row["days"]), len(STEPS)),
    )
    return cells_of(facts)


def period_key(group_by: GroupBy, day: date) -> str:
    """The key of a capture day under a period grouping."""
    if group_by == "week":
        day -= timedelta(days=day.weekday())
    elif group_by == "month":
        day = day.replace(day=1)
    return day.isoformat()


def window_cut(group_by: GroupBy, start: datetime, end: datetime) -> Cut:
    """The window as stored periods (no months when grouped by day or week: a month's cell does
    not say which of its days or weeks a lead came in) and its ends to count live."""
    grains: tuple[Grain, ...] = ("day",) if group_by in ("day", "week") else FUNNEL_GRAINS
    return cut(start, end, grains)


async def window_cells(
    conn: Connection, *, group_by: GroupBy, start: datetime, end: datetime
) -> dict[str, FunnelCell]:
    """The funnel cells of the leads captured in [start, end), by key of `group_by`."""
    dimension = ALL if group_by in PERIODS else group_by
    pieces = window_cut(group_by, start, end)
    found: dict[str, FunnelCell] = {}
    args = (dimension, *(pieces.periods.get(grain, []) for grain in ("month", "day")))
    if any(pieces.periods.values()):
        for r in await conn.fetch(_stored_cells(group_by), *args):
            cell = found.setdefault(r["key"], FunnelCell())
            cell.add(FunnelCell(np.array([r[name] for name in COUNTS], dtype=np.int64), r["revenue"]))
        for r in await conn.fetch(_stored_spans(group_by), *args):
            counts = np.fromstring(r["counts"], dtype=np.int64, sep=",")
            if 0 <= r["step"] < len(STEPS) and len(counts) == BUCKETS:
                found.setdefault(r["key"], FunnelCell()).spans[r["step"]] += counts
    live: list[tuple[str, FunnelCell]] = list(found.items())
    for low, high in pieces.live:
        cells = await load_cells(conn, low, high)
        live += [
            (period_key(group_by, day) if group_by in PERIODS else key, cell)
            for (day, d, key), cell in cells.items()
            if d == dimension
        ]
    return merged(live)
