"""Forgetting a person in capture's tables: every lead an erasure names, the spam rows that hold
them, their touches' personal fields and their published outbox rows; the lead row stays as the
tombstone (DESIGN.md, invariant 10; docs/privacy.md). The use case is capture.erasure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.people import MERGED_FIELDS
from capture.db.tables import Lead, PlatformLead, SpamSubmission, Touch
from leadkit.db import raw_connection
from leadkit.erasure import forget_published


async def erasable_leads(
    session: AsyncSession, *, lead_id: UUID | None, email: str | None, phone: str | None
) -> list[Lead]:
    """Every person (not erased yet) an erasure names: by id, by email, and by phone whatever
    their email (one person may have been captured once by email and once by phone alone)."""
    conditions = []
    if lead_id is not None:
        conditions.append(Lead.id == lead_id)
    if email:
        conditions.append(Lead.email == email)
    if phone:
        conditions.append(Lead.phone == phone)
    if not conditions:
        return []
    found = await session.scalars(
        select(Lead).where(or_(*conditions), Lead.erased_at.is_(None)).order_by(Lead.id)
    )
    return list(found.all())


async def erase_spam(
    session: AsyncSession, *, emails: Sequence[str], phones: Sequence[str], lead_ids: Sequence[UUID]
) -> int:
    """Spam kept for audit holds a person's email, phone, name and IP too: it goes with them."""
    conditions = [SpamSubmission.released_lead_id.in_(lead_ids)] if lead_ids else []
    if emails:
        conditions += [SpamSubmission.email.in_(emails), SpamSubmission.payload["email"].astext.in_(emails)]
    if phones:
        conditions.append(SpamSubmission.payload["phone"].astext.in_(phones))
    if not conditions:
        return 0
    result = await session.execute(
        delete(SpamSubmission).where(or_(*conditions)).returning(SpamSubmission.id)
    )
    return len(result.all())


async def forget_person(session: AsyncSession, lead: Lead, now: datetime) -> None:
    """A person's personal data goes, anonymous facts (source, campaign, channel) stay. The row
    stays as the tombstone (`erased_at`, an identity key no email or phone finds)."""
    await erase_spam(
        session,
        emails=[lead.email] if lead.email else [],
        phones=[lead.phone] if lead.phone else [],
        lead_ids=[lead.id],
    )
    await session.execute(
        update(Lead)
        .where(Lead.id == lead.id)
        .values(
            **dict.fromkeys(MERGED_FIELDS), attributes={}, identity_key=f"erased:{lead.id}", erased_at=now
        )
    )
    await session.execute(
        update(Touch)
        .where(Touch.lead_id == lead.id)
        .values(
            page_url=None,
            referrer=None,
            gclid=None,
            fbclid=None,
            msclkid=None,
            li_fat_id=None,
            consent_text=None,
            term=None,
            external_id=None,
            submitted=None,
        )
    )
    # its published outbox rows (kept a day for operators) hold it too (leadkit.erasure)
    await forget_published(await raw_connection(session), [lead.id])
    # the platform's id stays, so a late or redelivered notification is known and not fetched again
    await session.execute(
        update(PlatformLead)
        .where(PlatformLead.lead_id == lead.id)
        .values(notification={}, status="deleted", last_error=None)
    )
