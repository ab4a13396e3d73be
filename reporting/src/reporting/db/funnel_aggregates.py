"""Funnel aggregates per capture day and month, and a window's funnel summed from them.

The projection marks the capture days a poll changes (`funnel_dirty`); the refresher recomputes a
marked day's cells (`funnel_days`) once it has settled, then the cells of its month
(`funnel_months`, the days summed) under a lock of that month, so two instances refreshing days
of one month cannot lose each other's. A window's cells are its clean full months, then its other
clean full days, then its partial first and last day and every marked day counted live: counts and
revenue are exact, velocity comes from the histograms (`reporting.domain.funnel_cells`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import numpy as np

from leadkit.db import Connection, columns
from reporting.db.day_marks import FUNNEL_MARKS, day_bounds, day_of
from reporting.db.sql import between
from reporting.domain.funnel import GROUP_COLUMNS, NONE_KEY, PERIODS, STEPS, GroupBy
from reporting.domain.funnel_cells import (
    ALL,
    FLAGS,
    FunnelCell,
    FunnelFacts,
    cell_from,
    cells_of,
    encode_spans,
    merged,
)

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
_CAPTURE_DAYS = """
SELECT (captured_at AT TIME ZONE 'UTC')::date AS day FROM lead_funnel WHERE captured_at IS NOT NULL
"""
_FORGET_DAYS = "DELETE FROM funnel_days WHERE day = ANY($1::date[])"
_WRITE_DAYS = """
INSERT INTO funnel_days (dimension, day, key, counts, revenue, spans)
SELECT d, day, k, string_to_array(c, ',')::bigint[], r, s
FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::numeric[], $6::bytea[])
    AS u(d, day, k, c, r, s)
"""
# one month's lock at a time, in order: its cells are rewritten from its days
_LOCK_MONTH = "SELECT pg_advisory_xact_lock(hashtext('reporting.funnel_months'), $1::int)"
_MONTH_DAYS = """
SELECT dimension, key, counts, revenue, spans FROM funnel_days WHERE day >= $1 AND day < $2
"""
_FORGET_MONTH = "DELETE FROM funnel_months WHERE month = $1"
_WRITE_MONTH = """
INSERT INTO funnel_months (dimension, month, key, counts, revenue, spans)
SELECT d, $1, k, string_to_array(c, ',')::bigint[], r, s
FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::bytea[]) AS u(d, k, c, r, s)
"""
_STORED_MONTHS = """
SELECT month AS day, key, counts, revenue, spans FROM funnel_months
WHERE dimension = $1 AND month = ANY($2::date[])
"""
_STORED_DAYS = """
SELECT day, key, counts, revenue, spans FROM funnel_days WHERE dimension = $1 AND day = ANY($2::date[])
"""


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def capture_days(times: Iterable[datetime | None]) -> set[date]:
    return {day_of(at) for at in times if at is not None}


async def mark_dirty(conn: Connection, days: set[date]) -> None:
    await FUNNEL_MARKS.mark(conn, days)


async def mark_all_dirty(conn: Connection) -> None:
    await FUNNEL_MARKS.mark_days_of(conn, _CAPTURE_DAYS)


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


def _encoded(cell: FunnelCell) -> tuple[str, object, bytes]:
    return ",".join(str(int(c)) for c in cell.counts), cell.revenue, encode_spans(cell.spans)


async def refresh_funnel(
    conn: Connection, *, limit: int = 7, settle: timedelta = timedelta(0), busy_share: float | None = None
) -> int:
    """Recompute up to `limit` settled days (`reporting.db.day_marks`) and their months; how many days."""
    return await FUNNEL_MARKS.refresh(conn, _recount, limit=limit, settle=settle, busy_share=busy_share)


async def _recount(conn: Connection, days: list[date]) -> None:
    await conn.execute(_FORGET_DAYS, days)
    rows = []
    for day in days:
        cells = await load_cells(conn, *day_bounds(day))
        rows += [(dimension, d, key, *_encoded(cell)) for (d, dimension, key), cell in cells.items()]
    if rows:
        await conn.execute(_WRITE_DAYS, *columns(rows))
    for month in sorted({month_of(day) for day in days}):
        await _refresh_month(conn, month)


async def _refresh_month(conn: Connection, month: date) -> None:
    await conn.execute(_LOCK_MONTH, month.year * 12 + month.month)
    sums: dict[tuple[str, str], FunnelCell] = {}
    for r in await conn.fetch(_MONTH_DAYS, month, _next_month(month)):
        sums.setdefault((r["dimension"], r["key"]), FunnelCell()).add(
            cell_from(r["counts"], r["revenue"], r["spans"])
        )
    await conn.execute(_FORGET_MONTH, month)
    rows = [(dimension, key, *_encoded(cell)) for (dimension, key), cell in sums.items()]
    if rows:
        await conn.execute(_WRITE_MONTH, month, *columns(rows))


def period_key(group_by: GroupBy, day: date) -> str:
    """The key of a capture day (or a month's first day) under a period grouping."""
    if group_by == "week":
        day -= timedelta(days=day.weekday())
    elif group_by == "month":
        day = month_of(day)
    return day.isoformat()


async def window_cells(
    conn: Connection, *, group_by: GroupBy, start: datetime, end: datetime
) -> dict[str, FunnelCell]:
    """The funnel cells of the leads captured in [start, end), by key of `group_by`."""
    dimension = ALL if group_by in PERIODS else group_by
    window = await FUNNEL_MARKS.window(conn, start, end)
    found: list[tuple[date, str, FunnelCell]] = []
    if window.stored:
        by_month = group_by not in ("day", "week")
        months, days = _grains(window.first, window.last, window.marked, by_month=by_month)
        for statement, keys in ((_STORED_MONTHS, months), (_STORED_DAYS, days)):
            if keys:
                found += [
                    (r["day"], r["key"], cell_from(r["counts"], r["revenue"], r["spans"]))
                    for r in await conn.fetch(statement, dimension, keys)
                ]
    for low, high in window.live:
        cells = await load_cells(conn, low, high)
        found += [(day, key, cell) for (day, d, key), cell in cells.items() if d == dimension]
    if group_by in PERIODS:
        return merged((period_key(group_by, day), cell) for day, _, cell in found)
    return merged((key, cell) for _, key, cell in found)


def _grains(first: date, last: date, dirty: set[date], *, by_month: bool) -> tuple[list[date], list[date]]:
    """The clean months wholly inside [first, last) (when months may be used), and the clean days
    of [first, last) outside them."""
    months: list[date] = []
    days: list[date] = []
    day = first
    while day < last:
        month_end = _next_month(month_of(day))
        whole = by_month and day == month_of(day) and month_end <= last
        span = [day + timedelta(days=i) for i in range((min(month_end, last) - day).days)]
        if whole and not dirty.intersection(span):
            months.append(day)
        else:
            days += [d for d in span if d not in dirty]
        day = min(month_end, last)
    return months, days
