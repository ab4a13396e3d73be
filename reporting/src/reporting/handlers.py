"""reporting's projection handler: a poll's events of every topic, folded lead by lead in
memory, then one statement to lock and load the rows and one to write them back."""

from __future__ import annotations

from collections.abc import Sequence

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
from leadkit.consumer import Handler, HandlerContext
from leadkit.db import columns
from reporting.domain.projection import COLUMNS, FunnelRow, project

_RETURNED = ", ".join(COLUMNS)
# Creates the rows not seen yet and locks all of them in one statement; the no-op update makes
# RETURNING hand back the rows that already existed too. Another instance projecting the same
# lead from another topic waits here instead of overwriting.
_LOCK_AND_LOAD = f"""
INSERT INTO lead_funnel (lead_id) SELECT * FROM unnest($1::uuid[])
ON CONFLICT (lead_id) DO UPDATE SET lead_id = excluded.lead_id
RETURNING {_RETURNED}
"""
_TYPES = [
    "uuid",
    "timestamptz",
    "text",
    "text",
    "text",
    "text",
    "int",
    "int",
    "text",
    "text",
    "bool",
    "timestamptz",
    "bool",
    "bool",
    "bool",
    "bool",
    "numeric",
    "bool",
    "text",
    "int",
    "bool",
]  # of COLUMNS, in order
_WRITE = f"""
UPDATE lead_funnel AS f SET {", ".join(f"{name} = u.{name}" for name in COLUMNS[1:])}
FROM unnest({", ".join(f"${i}::{kind}[]" for i, kind in enumerate(_TYPES, start=1))}) AS u({_RETURNED})
WHERE f.lead_id = u.lead_id
"""


async def project_events(events: Sequence[Envelope], ctx: HandlerContext) -> None:
    lead_ids = sorted({event.lead_id for event in events})
    rows = {
        record["lead_id"]: FunnelRow(**dict(record))
        for record in await ctx.connection.fetch(_LOCK_AND_LOAD, lead_ids)
    }
    for event in events:
        project(rows[event.lead_id], event)
    await ctx.connection.execute(_WRITE, *columns([rows[lead_id].values() for lead_id in lead_ids]))


HANDLERS: dict[str, Handler] = dict.fromkeys(
    (
        LeadCaptured.topic,
        LeadScored.topic,
        LeadQualified.topic,
        LeadProgressed.topic,
        LeadRecycled.topic,
        LeadSlaBreached.topic,
        LeadErased.topic,
    ),
    project_events,
)
