"""Every change to a rep is announced on `rep.changed`, from the transaction that made it (the
outbox): other services learn the roster from it (sla-monitor checks its CRM owner maps against
it) without reading routing's tables or calling its API. Called by each statement that writes
`reps`; the event carries the rep's state after the change, read back, so a caller need not say
what changed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from lead_schemas import RepChanged, RepChangedData
from leadkit.db import Connection
from leadkit.messaging import Outbox, write_outbox

_ALL = "SELECT id FROM reps"
_STATES = """
SELECT id, team, active, deleted_at IS NOT NULL AS deleted FROM reps WHERE id = ANY($1::text[]) ORDER BY id
"""


async def announce_reps(conn: Connection, rep_ids: Collection[str], now: datetime) -> None:
    if not rep_ids:
        return
    outbox = Outbox()
    for row in await conn.fetch(_STATES, sorted(set(rep_ids))):
        data = RepChangedData(
            rep_id=row["id"], team=row["team"], active=row["active"], deleted=row["deleted"]
        )
        outbox.add(RepChanged.of(data, producer="routing", occurred_at=now))
    await write_outbox(conn, outbox.rows, notify=True)


async def announce_roster(conn: Connection, now: datetime) -> None:
    """Every rep, as it stands: once a process at start-up, so a consumer that began after a
    change (or a roster older than these events) catches up; a repeat changes nothing there."""
    await announce_reps(conn, [row["id"] for row in await conn.fetch(_ALL)], now)
