"""The journeys of a window, from reporting's touch log and funnel rows: one statement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from leadkit.db import Connection
from reporting.domain.attribution import AttributionKey, Outcome
from reporting.domain.journeys import NONE_KEY, Journey, TouchPoint

# the column of each outcome's first time, and of each key: from closed lists, never from input
_OUTCOME_AT: dict[Outcome, str] = {
    "won": "won_at",
    "opportunity": "opportunity_at",
    "sql": "sql_at",
    "mql": "mql_at",
}


def _journeys_sql(outcome: Outcome, key: AttributionKey) -> str:
    at = _OUTCOME_AT[outcome]
    return f"""
WITH chosen AS (
    SELECT lead_id, {at} AS outcome_at, opportunity_at, revenue FROM lead_funnel
    WHERE captured_at IS NOT NULL
      AND (({at} >= $1 AND {at} < $2) OR ({at} IS NULL AND last_touch_at >= $1 AND last_touch_at < $2))
)
SELECT c.outcome_at, c.opportunity_at, c.revenue,
       array_agg(t.occurred_at ORDER BY t.occurred_at, t.touch_id) FILTER (WHERE t.lead_id IS NOT NULL) AS at,
       array_agg(coalesce(t.{key}, '{NONE_KEY}') ORDER BY t.occurred_at, t.touch_id)
           FILTER (WHERE t.lead_id IS NOT NULL) AS keys,
       array_agg(t.created_lead ORDER BY t.occurred_at, t.touch_id)
           FILTER (WHERE t.lead_id IS NOT NULL) AS made
FROM chosen c
LEFT JOIN touches t ON t.lead_id = c.lead_id AND (c.outcome_at IS NULL OR t.occurred_at <= c.outcome_at)
GROUP BY c.lead_id, c.outcome_at, c.opportunity_at, c.revenue
"""


async def load_journeys(
    conn: Connection, *, outcome: Outcome, key: AttributionKey, start: datetime, end: datetime
) -> list[Journey]:
    """Journeys chosen by their outcome's time in the window, or (not converted) by their last
    touch; touches up to the outcome. Revenue is the won amount of a lead that reached the outcome."""
    journeys = []
    for row in await conn.fetch(_journeys_sql(outcome, key), start, end):
        touches = tuple(
            TouchPoint(at, name, made)
            for at, name, made in zip(row["at"] or (), row["keys"] or (), row["made"] or (), strict=True)
        )
        converted = row["outcome_at"] is not None
        journeys.append(
            Journey(
                touches,
                converted,
                row["revenue"] if converted else Decimal(0),
                row["outcome_at"],
                row["opportunity_at"],
            )
        )
    return journeys
