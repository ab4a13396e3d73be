"""What the overview counts: the leads captured in a window and in the window of the same length
just before it — how many, how many became MQLs, SQLs and won deals, the revenue won — and speed to
lead: wall minutes from capture to the first contact of the window's MQLs, its median and p90, and
how many fell in each band (0-5, 5-15, 15-60, 60+ minutes, not contacted yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from leadkit.db import Connection
from reporting.db.sql import Spread, between, spread_of, spread_sql

_MINUTES = between("captured_at", "first_contact_at", 60.0)
_CONTACTED = "is_mql AND first_contact_at IS NOT NULL"
_OVERVIEW = f"""
WITH periods (period, start, stop) AS (VALUES ('current', $1::timestamptz, $2::timestamptz),
                                              ('previous', $1::timestamptz - ($2 - $1), $1::timestamptz))
SELECT p.period, count(f.lead_id) AS leads, count(*) FILTER (WHERE f.is_mql) AS mqls,
       count(*) FILTER (WHERE f.is_sql) AS sqls, count(*) FILTER (WHERE f.is_won) AS won,
       coalesce(sum(f.revenue) FILTER (WHERE f.is_won), 0) AS revenue,
       count(*) FILTER (WHERE {_CONTACTED}) AS contacted,
       count(*) FILTER (WHERE {_CONTACTED} AND {_MINUTES} < 5) AS band_0_5,
       count(*) FILTER (WHERE {_CONTACTED} AND {_MINUTES} >= 5 AND {_MINUTES} < 15) AS band_5_15,
       count(*) FILTER (WHERE {_CONTACTED} AND {_MINUTES} >= 15 AND {_MINUTES} < 60) AS band_15_60,
       count(*) FILTER (WHERE {_CONTACTED} AND {_MINUTES} >= 60) AS band_60_plus,
       {spread_sql("contact", _MINUTES, _CONTACTED)}
FROM periods p LEFT JOIN lead_funnel f ON f.captured_at >= p.start AND f.captured_at < p.stop
GROUP BY p.period
"""
BANDS = ("0-5", "5-15", "15-60", "60+")


@dataclass(frozen=True)
class PeriodCounts:
    leads: int
    mqls: int
    sqls: int
    won: int
    revenue: Decimal
    contacted: int
    bands: dict[str, int]  # minutes from capture to first contact, MQLs contacted; "not yet" the rest
    to_first_contact: Spread


async def overview_counts(conn: Connection, start: datetime, to: datetime) -> dict[str, PeriodCounts]:
    """`current` ([start, to)) and `previous` (the same length just before)."""
    found = {}
    for row in await conn.fetch(_OVERVIEW, start, to):
        bands = {band: row[f"band_{band.replace('-', '_').replace('+', '_plus')}"] for band in BANDS}
        bands["not yet"] = row["mqls"] - row["contacted"]
        found[row["period"]] = PeriodCounts(
            leads=row["leads"],
            mqls=row["mqls"],
            sqls=row["sqls"],
            won=row["won"],
            revenue=row["revenue"],
            contacted=row["contacted"],
            bands=bands,
            to_first_contact=spread_of(row, "contact"),
        )
    return found
