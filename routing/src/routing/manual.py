"""Moving a lead by hand: `POST /v1/leads/{id}/reassign`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadkit.db import Connection
from leadkit.messaging import Outbox
from routing.batch import open_batch
from routing.domain.lead import Lead
from routing.parts import RoutingParts


class CannotReassign(ValueError):
    pass


async def reassign_by_hand(
    conn: Connection,
    outbox: Outbox,
    now: datetime,
    parts: RoutingParts,
    lead_id: UUID,
    *,
    reason: str,
    to: str | None,
) -> Lead | None:
    """`POST /v1/leads/{id}/reassign`: to the named rep, or to the next eligible rep of the lead's
    team other than its current owner. None when routing has never seen the lead."""
    batch = await open_batch(conn, outbox, now, parts, [lead_id])
    lead = batch.leads.get(lead_id)
    if lead is None:
        return None
    if lead.status not in ("assigned", "queued"):
        raise CannotReassign(f"the lead is {lead.status}: only an open or queued lead can be reassigned")
    if to is not None and (to not in batch.roster.reps or batch.roster.reps[to].deleted):
        raise CannotReassign(f"unknown rep {to!r}")
    if to is not None and to == lead.owner:
        raise CannotReassign(f"{to} already owns the lead")
    batch.plan.by_hand(lead, to)
    await batch.lock_planned()
    why = f"reassigned by hand: {reason}"
    if to is not None:
        batch.assign_to(lead, to, why)
    else:
        batch.reassign(lead, None, why, exclude={lead.owner} if lead.owner else set(), kind="manual")
    await batch.write()
    return lead
