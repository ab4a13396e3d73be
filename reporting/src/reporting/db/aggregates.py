"""The aggregates' tables kept current: a poll's delta added in its own transaction, and the full
recount from the projection (after a rebuild, or an upgrade that changed the aggregates' shape).

Cells are added to (`ON CONFLICT … DO UPDATE SET x = x + excluded.x`), so two instances projecting
different leads into one cell both count. Rows go in primary-key order in every statement, and the
statements run in one order, so two transactions wanting the same cells queue instead of
deadlocking.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import numpy as np

from leadkit.db import Connection, columns
from reporting.db.journeys import load_every_outcome
from reporting.domain.aggregate_deltas import (
    OUTCOME_COLUMNS,
    AttributionDelta,
    CellKey,
    LeadState,
    attribution_delta,
    funnel_delta,
    ordered_touches,
)
from reporting.domain.attribution import tally
from reporting.domain.funnel_cells import COUNTS, FunnelCell
from reporting.domain.projection import COLUMNS, TOUCH_COLUMNS, FunnelRow, TouchRow

# the aggregates' shape: a version the tables do not hold is recounted before reporting consumes
VERSION = 2
TABLES = (
    "funnel_cells",
    "funnel_spans",
    "attribution_credits",
    "attribution_transitions",
    "attribution_sets",
)
_COUNT_COLUMNS = ", ".join(COUNTS)
_WRITE_CELLS = f"""
INSERT INTO funnel_cells AS c (grain, dimension, period, key, {_COUNT_COLUMNS}, revenue)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[],
    {", ".join(f"${i}::bigint[]" for i in range(5, 5 + len(COUNTS)))}, ${5 + len(COUNTS)}::numeric[])
ORDER BY 1, 2, 3, 4
ON CONFLICT (grain, dimension, period, key) DO UPDATE SET
    {", ".join(f"{name} = c.{name} + excluded.{name}" for name in (*COUNTS, "revenue"))}
"""
# a histogram arrives as its buckets' counts joined by commas (one text a row: unnest flattens
# arrays of arrays) and is added to the stored one element by element
_WRITE_SPANS = """
INSERT INTO funnel_spans AS s (grain, dimension, period, key, step, counts)
SELECT g, d, p, k, t, string_to_array(c, ',')::int[]
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::int2[], $6::text[])
    AS u(g, d, p, k, t, c)
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (grain, dimension, period, key, step) DO UPDATE SET counts = ARRAY(
    SELECT a + b FROM unnest(s.counts, excluded.counts) WITH ORDINALITY AS x(a, b, i) ORDER BY i
)
"""
_WRITE_CREDITS = """
INSERT INTO attribution_credits AS a
    (grain, period, outcome, key_type, model, key, conversions, revenue_share)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::float8[], $8::float8[])
ORDER BY 1, 3, 4, 2, 5, 6
ON CONFLICT (grain, outcome, key_type, period, model, key) DO UPDATE SET
    conversions = a.conversions + excluded.conversions,
    revenue_share = a.revenue_share + excluded.revenue_share
"""
_WRITE_TRANSITIONS = """
INSERT INTO attribution_transitions AS a (grain, period, outcome, key_type, from_state, to_state, count)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::bigint[])
ORDER BY 1, 3, 4, 2, 5, 6
ON CONFLICT (grain, outcome, key_type, period, from_state, to_state)
    DO UPDATE SET count = a.count + excluded.count
"""
_WRITE_SETS = """
INSERT INTO attribution_sets AS a (grain, period, outcome, key_type, keys, journeys, conversions, revenue)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bigint[],
    $7::bigint[], $8::numeric[])
ORDER BY 1, 3, 4, 2, 5
ON CONFLICT (grain, outcome, key_type, period, keys) DO UPDATE SET
    journeys = a.journeys + excluded.journeys, conversions = a.conversions + excluded.conversions,
    revenue = a.revenue + excluded.revenue
"""
_TOUCHES_OF = f"SELECT {', '.join(TOUCH_COLUMNS)} FROM touches WHERE lead_id = ANY($1::uuid[])"


async def touches_of(conn: Connection, lead_ids: Sequence[UUID]) -> dict[UUID, tuple[TouchRow, ...]]:
    """The leads' touches from the touch log, in journey order (a lead with none is left out)."""
    found: dict[UUID, list[TouchRow]] = {}
    for record in await conn.fetch(_TOUCHES_OF, lead_ids):
        found.setdefault(record["lead_id"], []).append(TouchRow(*record))
    return {lead: ordered_touches(touches) for lead, touches in found.items()}


async def write_funnel(conn: Connection, cells: dict[CellKey, FunnelCell]) -> None:
    rows, spans = [], []
    for key, cell in sorted(cells.items(), key=lambda item: _order(item[0])):
        (grain, period), dimension, name = key
        head = (grain, dimension, period, name)
        if cell.counts.any() or cell.revenue:
            rows.append((*head, *(int(count) for count in cell.counts), cell.revenue))
        spans += [
            (*head, step, ",".join(map(str, cell.spans[step].tolist())))
            for step in np.flatnonzero(cell.spans.any(axis=1)).tolist()
        ]
    if rows:
        await conn.execute(_WRITE_CELLS, *columns(rows, width=5 + len(COUNTS)))
    if spans:
        await conn.execute(_WRITE_SPANS, *columns(spans, width=6))


def _order(key: CellKey) -> tuple[str, str, object, str]:
    (grain, period), dimension, name = key
    return grain, dimension, period, name


async def write_attribution(conn: Connection, delta: AttributionDelta) -> None:
    credits = [(*key, *value) for key, value in delta.credits.items()]
    transitions = [(*key, value) for key, value in delta.transitions.items()]
    sets = [(*key, *value) for key, value in delta.sets.items()]
    for statement, rows, width in (
        (_WRITE_CREDITS, credits, 8),
        (_WRITE_TRANSITIONS, transitions, 7),
        (_WRITE_SETS, sets, 8),
    ):
        if rows:
            await conn.execute(statement, *columns(rows, width=width))


async def write_changes(conn: Connection, changes: Sequence[tuple[LeadState | None, LeadState]]) -> None:
    """Add what these leads' changes (before, after) did to every aggregate."""
    await write_funnel(conn, funnel_delta((None if b is None else b.row, a.row) for b, a in changes))
    await write_attribution(conn, attribution_delta(changes))


# keyset pages of the projection in capture order: a page's leads share periods, so its delta has
# few cells (leads never captured count in no aggregate)
_PAGE = f"""
SELECT {", ".join(COLUMNS)} FROM lead_funnel
WHERE captured_at IS NOT NULL AND (captured_at, lead_id) > ($1, $2)
ORDER BY captured_at, lead_id LIMIT $3
"""
_FIRST_PAGE = f"""
SELECT {", ".join(COLUMNS)} FROM lead_funnel WHERE captured_at IS NOT NULL
ORDER BY captured_at, lead_id LIMIT $1
"""
_BUILT = "SELECT EXISTS (SELECT FROM aggregates_built WHERE version = $1)"
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('reporting.aggregates'))"


async def built(conn: Connection) -> bool:
    found: bool = await conn.fetchval(_BUILT, VERSION)
    return found


async def recount(conn: Connection, *, page: int = 5000) -> int:
    """Every aggregate emptied and counted again from the projection, in one transaction that holds
    the projection still (a live handler waits for it); how many leads. The same sums the handler
    keeps: the funnel's lead by lead with nothing to take away, attribution's day by day."""
    async with conn.transaction():
        await conn.execute(_LOCK)
        return await _recount(conn, page)


async def ensure_built(conn: Connection, *, page: int = 5000) -> int | None:
    """Recount when the tables do not hold this version's aggregates (one instance does it, the
    others wait for it and find them built); how many leads, or None when nothing was to do."""
    if await built(conn):
        return None
    async with conn.transaction():
        await conn.execute(_LOCK)
        if await built(conn):
            return None
        return await _recount(conn, page)


async def _recount(conn: Connection, page: int) -> int:
    await conn.execute("LOCK TABLE lead_funnel, touches IN SHARE MODE")
    await conn.execute(f"TRUNCATE {', '.join(TABLES)}, aggregates_built")
    counted = 0
    records = await conn.fetch(_FIRST_PAGE, page)
    while records:
        rows = [FunnelRow(**dict(record)) for record in records]
        await write_funnel(conn, funnel_delta((None, row) for row in rows))
        counted += len(rows)
        last = rows[-1]
        records = await conn.fetch(_PAGE, last.captured_at, last.lead_id, page)
    await _recount_attribution(conn)
    await conn.execute("INSERT INTO aggregates_built (version) VALUES ($1)", VERSION)
    return counted


# every UTC day that holds a journey: of an outcome, or of a last touch
_JOURNEY_DAYS = f"""
SELECT DISTINCT (d AT TIME ZONE 'UTC')::date AS day FROM lead_funnel,
    unnest(ARRAY[last_touch_at, {", ".join(OUTCOME_COLUMNS.values())}]) AS d
WHERE d IS NOT NULL AND captured_at IS NOT NULL ORDER BY 1
"""


async def _recount_attribution(conn: Connection) -> None:
    """Attribution day by day: each day's journeys loaded whole in one statement and tallied per
    outcome and key — the sums the handler keeps journey by journey, each cell written once (a
    page of leads in capture order would rewrite the days their outcomes fall on again and again).
    `reporting/tests/integration/test_aggregates.py` holds that both agree."""
    for record in await conn.fetch(_JOURNEY_DAYS):
        start = datetime.combine(record["day"], time(), tzinfo=UTC)
        delta = AttributionDelta()
        by_outcome = await load_every_outcome(conn, start=start, end=start + timedelta(days=1))
        for outcome, by_key in by_outcome.items():
            for key_type, journeys in by_key.items():
                if journeys:
                    delta.add(("day", start, outcome, key_type), tally(journeys), 1)
        await write_attribution(conn, delta.pruned())
