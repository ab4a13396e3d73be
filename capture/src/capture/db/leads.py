"""The `leads` and `touches` tables as the API reads them (capture's hot writes are handlers.py's)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import Lead, Touch


async def lead_with_touches(session: AsyncSession, lead_id: UUID) -> tuple[Lead, Sequence[Touch]] | None:
    """A lead with every touch, oldest first."""
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return None
    touches = (
        await session.scalars(select(Touch).where(Touch.lead_id == lead_id).order_by(Touch.occurred_at))
    ).all()
    return lead, touches
