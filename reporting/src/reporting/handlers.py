"""reporting's projection handler: a poll's events of every topic, folded lead by lead in
memory, then one statement to lock and load the rows and one to write them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from datetime import datetime

from lead_schemas import (
    Envelope,
    LeadCaptured,
    LeadErased,
    LeadProgressed,
    LeadQualified,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
)
from lead_schemas.privacy import history_of
from leadkit.consumer import Handler, HandlerContext
from leadkit.db import columns
from reporting.db import funnel_aggregates
from reporting.db.attribution_aggregates import journey_days, mark_dirty
from reporting.domain.projection import COLUMN_TYPES, COLUMNS, FunnelRow, project, touch_of

_RETURNED = ", ".join(COLUMNS)
# Creates the rows not seen yet and locks all of them in one statement; the no-op update makes
# RETURNING hand back the rows that already existed too. Another instance projecting the same
# lead from another topic waits here instead of overwriting.
_LOCK_AND_LOAD = f"""
INSERT INTO lead_funnel (lead_id) SELECT * FROM unnest($1::uuid[])
ON CONFLICT (lead_id) DO UPDATE SET lead_id = excluded.lead_id
RETURNING {_RETURNED}
"""
_WRITE = f"""
UPDATE lead_funnel AS f SET {", ".join(f"{name} = u.{name}" for name in COLUMNS[1:])}
FROM unnest({", ".join(f"${i}::{kind}[]" for i, kind in enumerate(COLUMN_TYPES, start=1))}) AS u({_RETURNED})
WHERE f.lead_id = u.lead_id
"""


_TOUCHES = """
INSERT INTO touches (lead_id, touch_id, occurred_at, channel, source, medium, campaign, content, created_lead)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::bool[])
ON CONFLICT (lead_id, touch_id) DO NOTHING
"""


def _window_times(row: FunnelRow) -> tuple[datetime | None, ...]:
    return (row.last_touch_at, row.won_at, row.opportunity_at, row.sql_at, row.mql_at)


async def project_events(events: Sequence[Envelope], ctx: HandlerContext) -> None:
    touches = {
        (t.lead_id, t.touch_id): t for t in (touch_of(e) for e in events if isinstance(e, LeadCaptured))
    }
    if touches:
        await ctx.connection.execute(
            _TOUCHES, *columns([astuple(touches[k]) for k in sorted(touches)], width=9)
        )
    lead_ids = sorted({event.lead_id for event in events})
    rows = {
        record["lead_id"]: FunnelRow(**dict(record))
        for record in await ctx.connection.fetch(_LOCK_AND_LOAD, lead_ids)
    }
    before = journey_days(_window_times(row) for row in rows.values())
    captured = funnel_aggregates.capture_days(row.captured_at for row in rows.values())
    for event in events:
        project(rows[event.lead_id], event)
    # the days whose aggregates the poll changed: where the leads' journeys and captures were, and are
    await mark_dirty(ctx.connection, before | journey_days(_window_times(row) for row in rows.values()))
    await funnel_aggregates.mark_dirty(
        ctx.connection, captured | funnel_aggregates.capture_days(row.captured_at for row in rows.values())
    )
    await ctx.connection.execute(_WRITE, *columns([rows[lead_id].values() for lead_id in lead_ids]))


# captures and scores come from their history twins, which carry no personal data and are kept
# forever: the live projection reads what a rebuild reads (lead_schemas.privacy)
HANDLERS: dict[str, Handler] = dict.fromkeys(
    (
        history_of(LeadCaptured.topic),
        history_of(LeadScored.topic),
        LeadQualified.topic,
        LeadProgressed.topic,
        LeadRecycled.topic,
        LeadSlaBreached.topic,
        LeadErased.topic,
    ),
    project_events,
)
