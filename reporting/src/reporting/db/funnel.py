"""The funnel: counts, stage-to-stage rates and velocity, grouped and filtered by any of the
group keys. A funnel narrowed by a filter, or of few leads, is counted from the lead rows in one
statement (percentiles exact); a large unfiltered one is summed from the daily aggregates
(`reporting.db.funnel_aggregates`: counts exact, percentiles within 2 %)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from asyncpg import Record
from pydantic import BaseModel, Field

from leadkit.db import Connection
from reporting.db.funnel_aggregates import window_cells
from reporting.db.sql import Spread, between, rate, rounded, spread_of, spread_sql
from reporting.domain.funnel import GROUP_COLUMNS, NONE_KEY, PERIODS, STEPS, GroupBy
from reporting.domain.funnel_cells import COUNTS, FunnelCell

# up to this many leads in a window, the funnel is counted from the lead rows: exact percentiles
# for the price of a scan that stays well under the report's 100 ms
EXACT_UP_TO = 20_000


class FunnelRow(BaseModel):
    key: str
    leads: int
    mqls: int
    sals: int
    sqls: int
    opportunities: int
    won: int
    lost: int
    rejected: int
    recycled: int
    revenue: Decimal
    rates: dict[str, float | None] = Field(description="Each stage's share of the stage before it")
    velocity_hours: dict[str, Spread] = Field(
        description="Hours between stages, of the leads that reached both: median and p90"
    )


def key_sql(group_by: GroupBy) -> str:
    if group_by in PERIODS:
        return f"to_char(date_trunc('{group_by}', captured_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
    return f"coalesce({GROUP_COLUMNS[group_by]}, '{NONE_KEY}')"


def _funnel_sql(group_by: GroupBy, filters: list[str]) -> str:
    spreads = [
        spread_sql(name, between(start, end, 3600.0), f"{end} IS NOT NULL") for name, start, end in STEPS
    ]
    where = " AND ".join(["captured_at IS NOT NULL", "captured_at >= $1", "captured_at < $2", *filters])
    return f"""
SELECT {key_sql(group_by)} AS key, count(*) AS leads,
       count(*) FILTER (WHERE is_mql) AS mqls, count(*) FILTER (WHERE is_sal) AS sals,
       count(*) FILTER (WHERE is_sql) AS sqls, count(*) FILTER (WHERE is_opportunity) AS opportunities,
       count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE is_lost) AS lost,
       count(*) FILTER (WHERE is_rejected) AS rejected, count(*) FILTER (WHERE is_recycled) AS recycled,
       coalesce(sum(revenue), 0) AS revenue, {", ".join(spreads)}
FROM lead_funnel WHERE {where}
GROUP BY 1 ORDER BY count(*) DESC, {key_sql(group_by)} COLLATE "C"
"""


def _rates(counts: dict[str, int]) -> dict[str, float | None]:
    stages = [counts[name] for name in ("leads", "mqls", "sals", "sqls", "opportunities", "won")]
    names = ("lead_to_mql", "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_won")
    rates = {name: rate(stages[i + 1], stages[i]) for i, name in enumerate(names)}
    rates["lead_to_won"] = rate(counts["won"], counts["leads"])
    return rates


def _row(record: Record) -> FunnelRow:
    counts = {name: record[name] for name in COUNTS}
    return FunnelRow(
        key=record["key"],
        **counts,
        revenue=record["revenue"],
        rates=_rates(counts),
        velocity_hours={name: spread_of(record, name) for name, _, _ in STEPS},
    )


def _cell_row(key: str, cell: FunnelCell) -> FunnelRow:
    counts = {name: cell.count(name) for name in COUNTS}
    return FunnelRow(
        key=key,
        **counts,
        revenue=cell.revenue,
        rates=_rates(counts),
        velocity_hours={
            name: Spread(median=rounded(cell.percentile(name, 0.5)), p90=rounded(cell.percentile(name, 0.9)))
            for name, _, _ in STEPS
        },
    )


async def funnel(
    conn: Connection,
    *,
    group_by: GroupBy,
    start: datetime,
    end: datetime,
    where: dict[GroupBy, str],
    exact_up_to: int = EXACT_UP_TO,
) -> list[FunnelRow]:
    """Leads captured in [start, end), narrowed by `where` (a group key's value each)."""
    if not where:
        cells = await window_cells(conn, group_by=group_by, start=start, end=end)
        if sum(cell.count("leads") for cell in cells.values()) > exact_up_to:
            ordered = sorted(cells.items(), key=lambda item: (-item[1].count("leads"), item[0]))
            return [_cell_row(key, cell) for key, cell in ordered]
    filters, values = [], []
    for index, (name, value) in enumerate(sorted(where.items()), start=3):
        filters.append(f"{key_sql(name)} = ${index}")
        values.append(value)
    return [_row(r) for r in await conn.fetch(_funnel_sql(group_by, filters), start, end, *values)]


_OPEN = "SELECT count(*) FROM lead_funnel WHERE is_opportunity AND NOT is_won AND NOT is_lost"


async def open_opportunity_count(conn: Connection) -> int:
    """Opportunities neither won nor lost: the pipeline a goal's coverage is measured against."""
    count: int = await conn.fetchval(_OPEN)
    return count
