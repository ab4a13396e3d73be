"""Attribution aggregates per day, and the answer for a window summed from them.

A journey belongs to the UTC day of its outcome (or, without one, of its last touch). For every
day, outcome and key type, the models' `Tally` is kept in three tables (rule-model credits at the
default half-life, Markov's transitions, Shapley's key sets with the totals). The projection marks
the days an event changes (`attribution_dirty`); a refresher recomputes them once they have
settled (`reporting.db.day_marks`), looking every REPORTING_AGGREGATE_POLL_SECONDS. A
window's answer is the sum of its clean full days plus a live count of its partial first and last
day and of any day still marked — so it is always exact, and a year costs a few hundred rows. A
half-life other than the default is computed live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from leadkit.db import Connection, columns
from reporting.db.day_marks import ATTRIBUTION_MARKS, day_bounds, day_of
from reporting.db.journeys import OUTCOME_AT, load_every_outcome, load_journeys
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
from reporting.domain.shapley import SetStats

_FORGET = [
    f"DELETE FROM {table} WHERE day = ANY($1::date[])"
    for table in ("attribution_credits", "attribution_transitions", "attribution_sets")
]
_JOURNEY_DAYS = f"""
SELECT (d AT TIME ZONE 'UTC')::date AS day FROM lead_funnel,
    unnest(ARRAY[last_touch_at, {", ".join(OUTCOME_AT.values())}]) AS d
WHERE d IS NOT NULL
"""
_CREDITS = """
SELECT model, key, sum(conversions) AS conversions, sum(revenue_share) AS revenue_share
FROM attribution_credits
WHERE outcome = $1 AND key_type = $2 AND day >= $3 AND day < $4 AND NOT (day = ANY($5::date[])) GROUP BY 1, 2
"""
_TRANSITIONS = """
SELECT from_state, to_state, sum(count) AS count FROM attribution_transitions
WHERE outcome = $1 AND key_type = $2 AND day >= $3 AND day < $4 AND NOT (day = ANY($5::date[])) GROUP BY 1, 2
"""
_SETS = """
SELECT keys, sum(journeys) AS journeys, sum(conversions) AS conversions, sum(revenue) AS revenue
FROM attribution_sets
WHERE outcome = $1 AND key_type = $2 AND day >= $3 AND day < $4 AND NOT (day = ANY($5::date[])) GROUP BY 1
"""
_WRITE_CREDITS = """
INSERT INTO attribution_credits (outcome, key_type, day, model, key, conversions, revenue_share)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::float8[], $7::float8[])
"""
_WRITE_TRANSITIONS = """
INSERT INTO attribution_transitions (outcome, key_type, day, from_state, to_state, count)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::text[], $6::int[])
"""
_WRITE_SETS = """
INSERT INTO attribution_sets (outcome, key_type, day, keys, journeys, conversions, revenue)
SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::int[], $6::int[], $7::numeric[])
"""
# joins a key set into one text (no key holds it): a year's sets group three times faster by text
# than by array
SEPARATOR = chr(31)


def journey_days(rows: Iterable[Sequence[datetime | None]]) -> set[date]:
    """The days that hold journeys of these leads: each outcome's day, and the last touch's."""
    return {day_of(at) for row in rows for at in row if at is not None}


async def mark_dirty(conn: Connection, days: set[date]) -> None:
    await ATTRIBUTION_MARKS.mark(conn, days)


async def mark_all_dirty(conn: Connection) -> None:
    await ATTRIBUTION_MARKS.mark_days_of(conn, _JOURNEY_DAYS)


async def refresh(
    conn: Connection, *, limit: int = 7, settle: timedelta = timedelta(0), busy_share: float | None = None
) -> int:
    """Recompute up to `limit` settled days (`reporting.db.day_marks`); how many."""
    return await ATTRIBUTION_MARKS.refresh(conn, _recount, limit=limit, settle=settle, busy_share=busy_share)


async def _recount(conn: Connection, days: list[date]) -> None:
    for statement in _FORGET:
        await conn.execute(statement, days)
    credits: list[tuple[object, ...]] = []
    transitions: list[tuple[object, ...]] = []
    sets: list[tuple[object, ...]] = []
    for day in days:
        start, end = day_bounds(day)
        for outcome, by_key in (await load_every_outcome(conn, start=start, end=end)).items():
            for key_type, journeys in by_key.items():
                found = tally(journeys)
                head = (outcome, key_type, day)
                for model, values in found.rules.items():
                    credits += [
                        (*head, model, key, value, values.revenue_share[key])
                        for key, value in values.conversions.items()
                    ]
                transitions += [
                    (*head, here, there, count) for (here, there), count in found.transitions.items()
                ]
                sets += [
                    (*head, SEPARATOR.join(sorted(players)), s.journeys, s.conversions, s.revenue)
                    for players, s in found.sets.items()
                ]
    for statement, rows, width in (
        (_WRITE_CREDITS, credits, 7),
        (_WRITE_TRANSITIONS, transitions, 6),
        (_WRITE_SETS, sets, 7),
    ):
        if rows:
            await conn.execute(statement, *columns(rows, width=width))


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
    """The window's tally: stored full days, and live for the partial ends and the marked days."""
    if half_life_hours != DEFAULT_HALF_LIFE_HOURS and "time_decay" in models:
        journeys = await load_journeys(conn, outcome=outcome, key=key, start=start, end=end)
        return tally(journeys, half_life_hours=half_life_hours, models=models)
    days = await ATTRIBUTION_MARKS.window(conn, start, end)
    found = Tally()
    if days.stored:
        found = await _stored(conn, outcome, key, days.first, days.last, sorted(days.marked), models)
    for low, high in days.live:
        found.add(
            tally(await load_journeys(conn, outcome=outcome, key=key, start=low, end=high), models=models)
        )
    return found


async def _stored(
    conn: Connection,
    outcome: str,
    key: str,
    first: date,
    last: date,
    dirty: list[date],
    models: Sequence[Model],
) -> Tally:
    """The stored days' tally, of what `models` need (the sets always: they hold the totals)."""
    found = Tally()
    args = (outcome, key, first, last, dirty)
    if any(model in RULE_MODELS for model in models):
        for row in await conn.fetch(_CREDITS, *args):
            credits = found.rules.setdefault(row["model"], Credits())
            credits.conversions[row["key"]] += row["conversions"]
            credits.revenue_share[row["key"]] += row["revenue_share"]
    for model in RULE_MODELS:
        found.rules.setdefault(model, Credits())
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
