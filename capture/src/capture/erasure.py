"""Erasing a person, the use case: their personal data leaves capture's tables (db/erasure.py) and
`lead.erased` tells every other service to do the same."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.erasure import forget_person
from capture.db.tables import Lead
from capture.merge import PRODUCER
from lead_schemas import LeadErased, LeadErasedData
from leadkit.messaging import Outbox


async def erase_person(
    session: AsyncSession, outbox: Outbox, *, lead: Lead, now: datetime, correlation_id: UUID
) -> None:
    await forget_person(session, lead, now)
    outbox.add(
        LeadErased.new(
            producer=PRODUCER,
            lead_id=lead.id,
            correlation_id=correlation_id,
            occurred_at=now,
            data=LeadErasedData(requested_at=now),
        )
    )
