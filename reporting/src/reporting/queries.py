"""The funnel over reporting's lead rows: counts, stage-to-stage rates and velocity, grouped and
filtered by any of the group keys, in one statement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from leadkit.db import Connection
from reporting.domain.funnel import GROUP_COLUMNS, NONE_KEY, PERIODS, STEPS, GroupBy
from reporting.sql import Spread, between, rate, spread_of, spread_sql


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
GROUP BY 1 ORDER BY count(*) DESC, 1
"""


def _row(record: Any) -> FunnelRow:
    counts = [record[name] for name in ("leads", "mqls", "sals", "sqls", "opportunities", "won")]
    names = ("lead_to_mql", "mql_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_won")
    rates = {name: rate(counts[i + 1], counts[i]) for i, name in enumerate(names)}
    rates["lead_to_won"] = rate(record["won"], record["leads"])
    velocity = {name: spread_of(record, name) for name, _, _ in STEPS}
    return FunnelRow(
        **{k: record[k] for k in ("key", "leads", "mqls", "sals", "sqls", "opportunities", "won", "lost")},
        rejected=record["rejected"],
        recycled=record["recycled"],
        revenue=record["revenue"],
        rates=rates,
        velocity_hours=velocity,
    )


async def funnel(
    conn: Connection, *, group_by: GroupBy, start: datetime, end: datetime, where: dict[GroupBy, str]
) -> list[FunnelRow]:
    """Leads captured in [start, end), narrowed by `where` (a group key's value each)."""
    filters, values = [], []
    for index, (name, value) in enumerate(sorted(where.items()), start=3):
        filters.append(f"{key_sql(name)} = ${index}")
        values.append(value)
    return [_row(r) for r in await conn.fetch(_funnel_sql(group_by, filters), start, end, *values)]
