"""The `platform_leads` table: Meta and LinkedIn notifications noted before their answers are
fetched (one row per platform lead id), and what the fetch worker makes of them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select, update
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


async def platform_leads_with_status(session: AsyncSession, status: str) -> list[PlatformLead]:
    found = await session.scalars(
        select(PlatformLead).where(PlatformLead.status == status).order_by(PlatformLead.received_at)
    )
    return list(found.all())


async def requeue_failed(session: AsyncSession, external_id: str | None, now: datetime) -> int:
    """Failed fetches (all, or one platform lead id) back in the queue; how many."""
    condition = PlatformLead.status == "failed"
    if external_id is not None:
        condition = condition & (PlatformLead.external_id == external_id)
    result = await session.execute(
        update(PlatformLead)
        .where(condition)
        .values(status="pending", attempts=0, next_attempt_at=now)
        .returning(PlatformLead.id)
    )
    return len(result.all())


async def lease_due(
    session: AsyncSession, now: datetime, *, lease: timedelta, limit: int
) -> list[PlatformLead]:
    """Pending notifications whose next attempt has come, leased to this process for `lease`
    (SKIP LOCKED: instances share them; a process that dies leaves them to the next after it)."""
    due = (
        await session.scalars(
            select(PlatformLead)
            .where(PlatformLead.status == "pending", PlatformLead.next_attempt_at <= now)
            .order_by(PlatformLead.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in due:
        row.next_attempt_at = now + lease
    return list(due)


async def next_attempt(session: AsyncSession) -> datetime | None:
    """When the first pending notification's next attempt is due (the fetcher's wake-up)."""
    due: datetime | None = await session.scalar(
        select(func.min(PlatformLead.next_attempt_at)).where(PlatformLead.status == "pending")
    )
    return due


async def lock_pending(session: AsyncSession, platform_lead_id: int) -> PlatformLead | None:
    """The notification, locked and read afresh; None unless it still waits for its capture."""
    current = await session.get(PlatformLead, platform_lead_id, with_for_update=True, populate_existing=True)
    return current if current is not None and current.status == "pending" else None


async def fetch_failed(
    session: AsyncSession,
    platform_lead_id: int,
    *,
    attempts: int,
    error: str,
    permanent: bool,
    retry_at: datetime,
) -> None:
    await session.execute(
        update(PlatformLead)
        .where(PlatformLead.id == platform_lead_id, PlatformLead.status == "pending")
        .values(
            attempts=attempts,
            last_error=error,
            status="failed" if permanent else "pending",
            next_attempt_at=retry_at,
        )
    )
