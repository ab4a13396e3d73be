"""reporting's projection handler: a poll's events of every topic, folded lead by lead in
memory, then set-based writes: the touches, the aggregates' delta, the rows (db/projection.py,
db/aggregates.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

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
from reporting.db.aggregates import touches_of, write_changes
from reporting.db.projection import lock_funnel_rows, record_touches, write_funnel_rows
from reporting.domain.aggregate_deltas import LeadState, ordered_touches
from reporting.domain.projection import TouchRow, project, touch_of


async def project_events(events: Sequence[Envelope], ctx: HandlerContext) -> None:
    conn = ctx.connection
    lead_ids = sorted({event.lead_id for event in events})
    # the rows are locked first: another instance moving one of these leads waits until this
    # transaction has written its rows, touches and aggregates
    rows = await lock_funnel_rows(conn, lead_ids)
    known = await touches_of(conn, lead_ids)
    before = {lead: LeadState(replace(rows[lead]), known.get(lead, ())) for lead in lead_ids}
    touches = {
        (t.lead_id, t.touch_id): t for t in (touch_of(e) for e in events if isinstance(e, LeadCaptured))
    }
    for lead, touch_id in list(touches):
        if any(t.touch_id == touch_id for t in known.get(lead, ())):
            del touches[(lead, touch_id)]  # a redelivered capture adds nothing
    await record_touches(conn, [touches[k] for k in sorted(touches)])
    for event in events:
        project(rows[event.lead_id], event)
    added: dict[UUID, list[TouchRow]] = {}
    for (lead, _), touch in touches.items():
        added.setdefault(lead, []).append(touch)
    after = [
        LeadState(rows[lead], ordered_touches([*known.get(lead, ()), *added.get(lead, [])]))
        for lead in lead_ids
    ]
    await write_changes(conn, [(before[state.row.lead_id], state) for state in after])
    await write_funnel_rows(conn, [rows[lead_id] for lead_id in lead_ids])


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
