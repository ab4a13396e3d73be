"""reporting's projection handler: a poll's events of every topic, folded lead by lead in
memory, then one statement to lock and load the rows and one to write them back (db/projection.py)."""

from __future__ import annotations

from collections.abc import Sequence
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
from reporting.db import funnel_aggregates
from reporting.db.attribution_aggregates import journey_days, mark_dirty
from reporting.db.projection import lock_funnel_rows, record_touches, write_funnel_rows
from reporting.domain.projection import FunnelRow, project, touch_of


def _window_times(row: FunnelRow) -> tuple[datetime | None, ...]:
    return (row.last_touch_at, row.won_at, row.opportunity_at, row.sql_at, row.mql_at)


async def project_events(events: Sequence[Envelope], ctx: HandlerContext) -> None:
    touches = {
        (t.lead_id, t.touch_id): t for t in (touch_of(e) for e in events if isinstance(e, LeadCaptured))
    }
    await record_touches(ctx.connection, [touches[k] for k in sorted(touches)])
    lead_ids = sorted({event.lead_id for event in events})
    rows = await lock_funnel_rows(ctx.connection, lead_ids)
    before = journey_days(_window_times(row) for row in rows.values())
    captured = funnel_aggregates.capture_days(row.captured_at for row in rows.values())
    for event in events:
        project(rows[event.lead_id], event)
    # the days whose aggregates the poll changed: where the leads' journeys and captures were, and are
    await mark_dirty(ctx.connection, before | journey_days(_window_times(row) for row in rows.values()))
    await funnel_aggregates.mark_dirty(
        ctx.connection, captured | funnel_aggregates.capture_days(row.captured_at for row in rows.values())
    )
    await write_funnel_rows(ctx.connection, [rows[lead_id] for lead_id in lead_ids])


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
