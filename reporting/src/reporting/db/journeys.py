"""The journeys of a window, from reporting's touch log and funnel rows: one statement."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from decimal import Decimal

from leadkit.db import Connection
from reporting.domain.aggregate_deltas import OUTCOME_COLUMNS
from reporting.domain.attribution import ATTRIBUTION_KEYS, OUTCOMES, AttributionKey, Outcome
from reporting.domain.journeys import NONE_KEY, Journey, TouchPoint

_ORDER = "ORDER BY t.occurred_at, t.touch_id"


def _journeys_sql(outcome: Outcome, keys: tuple[AttributionKey, ...]) -> str:
    at = OUTCOME_COLUMNS[outcome]
    present = "FILTER (WHERE t.lead_id IS NOT NULL)"
    per_key = ", ".join(f"array_agg(coalesce(t.{k}, '{NONE_KEY}') {_ORDER}) {present} AS {k}" for k in keys)
    return f"""
WITH chosen AS (
    SELECT lead_id, {at} AS outcome_at, opportunity_at, revenue FROM lead_funnel
    WHERE captured_at IS NOT NULL
      AND (({at} >= $1 AND {at} < $2) OR ({at} IS NULL AND last_touch_at >= $1 AND last_touch_at < $2))
)
SELECT c.outcome_at, c.opportunity_at, c.revenue, array_agg(t.occurred_at {_ORDER}) {present} AS at,
       array_agg(t.created_lead {_ORDER}) {present} AS made, {per_key}
FROM chosen c
LEFT JOIN touches t ON t.lead_id = c.lead_id AND (c.outcome_at IS NULL OR t.occurred_at <= c.outcome_at)
GROUP BY c.lead_id, c.outcome_at, c.opportunity_at, c.revenue
"""


async def load_journeys_by_key(
    conn: Connection,
    *,
    outcome: Outcome,
    start: datetime,
    end: datetime,
    keys: tuple[AttributionKey, ...] = ATTRIBUTION_KEYS,
) -> dict[AttributionKey, list[Journey]]:
    """Journeys chosen by their outcome's time in the window, or (not converted) by their last
    touch; touches up to the outcome, named by each of `keys`. Revenue is the won amount of a lead
    that reached the outcome."""
    found: dict[AttributionKey, list[Journey]] = {key: [] for key in keys}
    for row in await conn.fetch(_journeys_sql(outcome, keys), start, end):
        times, made = row["at"] or (), row["made"] or ()
        converted = row["outcome_at"] is not None
        revenue = row["revenue"] if converted else Decimal(0)
        for key in keys:
            touches = tuple(
                TouchPoint(at, name, created)
                for at, name, created in zip(times, row[key] or (), made, strict=True)
            )
            found[key].append(Journey(touches, converted, revenue, row["outcome_at"], row["opportunity_at"]))
    return found


async def load_journeys(
    conn: Connection, *, outcome: Outcome, key: AttributionKey, start: datetime, end: datetime
) -> list[Journey]:
    return (await load_journeys_by_key(conn, outcome=outcome, start=start, end=end, keys=(key,)))[key]


def _day_sql() -> str:
    present = "FILTER (WHERE t.lead_id IS NOT NULL)"
    per_key = ", ".join(
        f"array_agg(coalesce(t.{k}, '{NONE_KEY}') {_ORDER}) {present} AS {k}" for k in ATTRIBUTION_KEYS
    )
    in_window = " OR ".join(f"({at} >= $1 AND {at} < $2)" for at in OUTCOME_COLUMNS.values())
    some_missing = " OR ".join(f"{at} IS NULL" for at in OUTCOME_COLUMNS.values())
    return f"""
WITH chosen AS (
    SELECT lead_id, {", ".join(OUTCOME_COLUMNS.values())}, last_touch_at, revenue FROM lead_funnel
    WHERE captured_at IS NOT NULL
      AND ({in_window} OR (last_touch_at >= $1 AND last_touch_at < $2 AND ({some_missing})))
)
SELECT c.*, array_agg(t.occurred_at {_ORDER}) {present} AS at,
       array_agg(t.created_lead {_ORDER}) {present} AS made, {per_key}
FROM chosen c LEFT JOIN touches t ON t.lead_id = c.lead_id
GROUP BY c.lead_id, {", ".join(f"c.{at}" for at in OUTCOME_COLUMNS.values())}, c.last_touch_at, c.revenue
"""


_DAY = _day_sql()


async def load_every_outcome(
    conn: Connection, *, start: datetime, end: datetime
) -> dict[Outcome, dict[AttributionKey, list[Journey]]]:
    """`load_journeys_by_key` for every outcome and key at once: one statement, each lead's touches
    loaded once and cut at each outcome (a day's recount; four statements cost four joins)."""
    found: dict[Outcome, dict[AttributionKey, list[Journey]]] = {
        outcome: {key: [] for key in ATTRIBUTION_KEYS} for outcome in OUTCOMES
    }
    for row in await conn.fetch(_DAY, start, end):
        times, made = row["at"] or (), row["made"] or ()
        points = {
            key: tuple(TouchPoint(*touch) for touch in zip(times, row[key] or (), made, strict=True))
            for key in ATTRIBUTION_KEYS
        }
        last = row["last_touch_at"]
        for outcome, column in OUTCOME_COLUMNS.items():
            at = row[column]
            if at is not None and start <= at < end:
                upto, revenue = bisect_right(times, at), row["revenue"]
            elif at is None and last is not None and start <= last < end:
                upto, revenue = len(times), Decimal(0)
            else:
                continue
            for key in ATTRIBUTION_KEYS:
                found[outcome][key].append(
                    Journey(points[key][:upto], at is not None, revenue, at, row["opportunity_at"])
                )
    return found
