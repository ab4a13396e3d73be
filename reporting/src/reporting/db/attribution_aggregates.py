"""A window's attribution summed from the tallies the projection keeps (`attribution_credits`,
`attribution_transitions`, `attribution_sets`: per UTC day of each journey's outcome, or of its
last touch without one; `reporting.db.aggregates`). The whole days of the window come from the
tables, summed in SQL; its partial first and last days are counted live from the journeys — so
the answer is exact and a year costs a few hundred rows a key. A half-life other than the default
is computed live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from leadkit.db import Connection
from reporting.db.journeys import load_journeys
from reporting.domain.aggregate_deltas import SEPARATOR
from reporting.domain.attribution import (
    DEFAULT_HALF_LIFE_HOURS,
    RULE_MODELS,
    AttributionKey,
    Model,
    Outcome,
    Tally,
    tally,
)
from reporting.domain.journeys import Credits
from reporting.domain.periods import ATTRIBUTION_GRAINS, cut
from reporting.domain.shapley import SetStats

_IN_PERIODS = "outcome = $1 AND key_type = $2 AND grain = 'day' AND period = ANY($3::timestamptz[])"
# a float sum that should be nothing may be a rounding's breadth from it: left out, as a key the
# models gave nothing is
_CREDITS = f"""
SELECT model, key, sum(conversions) AS conversions, sum(revenue_share) AS revenue_share
FROM attribution_credits WHERE {_IN_PERIODS} GROUP BY 1, 2
HAVING abs(sum(conversions)) > 1e-9 OR abs(sum(revenue_share)) > 1e-9
"""
_TRANSITIONS = f"""
SELECT from_state, to_state, sum(count)::bigint AS count FROM attribution_transitions
WHERE {_IN_PERIODS} GROUP BY 1, 2 HAVING sum(count) <> 0
"""
_SETS = f"""
SELECT keys, sum(journeys)::bigint AS journeys, sum(conversions)::bigint AS conversions,
    sum(revenue) AS revenue
FROM attribution_sets WHERE {_IN_PERIODS} GROUP BY 1 HAVING sum(journeys) <> 0
"""


async def window_tally(
    conn: Connection,
    *,
    outcome: Outcome,
    key: AttributionKey,
    start: datetime,
    end: datetime,
    models: Sequence[Model],
    half_life_hours: float,
) -> Tally:
    """The window's tally: its whole days stored, the partial ends counted live."""
    if half_life_hours != DEFAULT_HALF_LIFE_HOURS and "time_decay" in models:
        journeys = await load_journeys(conn, outcome=outcome, key=key, start=start, end=end)
        return tally(journeys, half_life_hours=half_life_hours, models=models)
    pieces = cut(start, end, ATTRIBUTION_GRAINS)
    found = await _stored(conn, outcome, key, pieces.periods["day"], models)
    for low, high in pieces.live:
        found.add(
            tally(await load_journeys(conn, outcome=outcome, key=key, start=low, end=high), models=models)
        )
    return found


async def _stored(
    conn: Connection,
    outcome: str,
    key: str,
    days: list[datetime],
    models: Sequence[Model],
) -> Tally:
    """The stored periods' tally, of what `models` need (the sets always: they hold the totals)."""
    found = Tally()
    for model in RULE_MODELS:
        found.rules.setdefault(model, Credits())
    if not days:
        return found
    args = (outcome, key, days)
    if any(model in RULE_MODELS for model in models):
        for row in await conn.fetch(_CREDITS, *args):
            credits = found.rules.setdefault(row["model"], Credits())
            credits.conversions[row["key"]] += row["conversions"]
            credits.revenue_share[row["key"]] += row["revenue_share"]
    if "markov" in models:
        found.transitions = Counter(
            {(r["from_state"], r["to_state"]): r["count"] for r in await conn.fetch(_TRANSITIONS, *args)}
        )
    found.sets = {
        frozenset(filter(None, r["keys"].split(SEPARATOR))): SetStats(
            r["journeys"], r["conversions"], Decimal(r["revenue"])
        )
        for r in await conn.fetch(_SETS, *args)
    }
    return found
