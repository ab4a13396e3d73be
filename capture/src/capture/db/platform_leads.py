"""The `platform_leads` table: Meta and LinkedIn notifications noted before their answers are
fetched (one row per platform lead id), and what the fetch worker makes of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import Lead, PlatformLead, Touch


async def note_platform_lead(
    session: AsyncSession, platform: str, external_id: str, notification: dict[str, Any], now: datetime
) -> bool:
    """Durably note a lead to fetch; False when this platform lead id was already noted."""
    inserted = await session.execute(
        insert(PlatformLead)
        .values(
            platform=platform,
            external_id=external_id,
            notification=notification,
            status="pending",
            next_attempt_at=now,
            correlation_id=uuid4(),
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["platform", "external_id"])
        .returning(PlatformLead.id)
    )
    return inserted.first() is not None


async def withdraw_linkedin_lead(session: AsyncSession, response_id: str) -> Lead | None:
    """LinkedIn deleted a lead: a notification not yet fetched is dropped; the captured lead it
    became, if any and not yet erased, comes back locked for erasure."""
    pending = await session.scalar(
        select(PlatformLead)
        .where(PlatformLead.platform == "linkedin", PlatformLead.external_id == response_id)
        .with_for_update()
    )
    if pending is not None and pending.status == "pending":
        pending.status, pending.notification = "deleted", {}
    touch = await session.scalar(
        select(Touch).where(Touch.via == "linkedin", Touch.external_id == response_id)
    )
    if touch is None:
        return None
    lead = await session.get(Lead, touch.lead_id, with_for_update=True)
    return lead if lead is not None and lead.erased_at is None else None
