"""The projection's tables: `lead_funnel` (one row per lead) and `touches` (reporting's touch log)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from leadkit.db import Connection, columns
from reporting.domain.projection import COLUMN_TYPES, COLUMNS, FunnelRow, TouchRow

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


async def record_touches(conn: Connection, touches: Sequence[TouchRow]) -> None:
    """Touches not yet in the log (a redelivered capture adds nothing)."""
    if touches:
        await conn.execute(_TOUCHES, *columns([touch.values() for touch in touches], width=9))


async def lock_funnel_rows(conn: Connection, lead_ids: Sequence[UUID]) -> dict[UUID, FunnelRow]:
    """The leads' funnel rows, created when new, locked for this transaction."""
    return {
        record["lead_id"]: FunnelRow(**dict(record)) for record in await conn.fetch(_LOCK_AND_LOAD, lead_ids)
    }


async def write_funnel_rows(conn: Connection, rows: Sequence[FunnelRow]) -> None:
    await conn.execute(_WRITE, *columns([row.values() for row in rows]))
