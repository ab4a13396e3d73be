"""The `spam_submissions` table: submissions held as spam, kept for audit and release; never emitted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import SpamSubmission
from leadkit.db import Connection

_RECORD_SPAM = """
INSERT INTO spam_submissions (via, reason, ip, form_id, email, payload)
SELECT via, reason, ip, form_id, email, payload::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS u(via, reason, ip, form_id, email, payload)
"""


class HeldSubmission(NamedTuple):
    via: str
    reason: str | None
    ip: str | None
    form_id: str | None
    email: str | None
    payload: str  # JSON


async def hold_as_spam(connection: Connection, held: Sequence[HeldSubmission]) -> None:
    await connection.execute(_RECORD_SPAM, *[list(column) for column in zip(*held, strict=True)])


async def held_submissions(session: AsyncSession, reason: str | None, limit: int) -> list[SpamSubmission]:
    """The newest held submissions first (of one reason, or any)."""
    query = select(SpamSubmission).order_by(SpamSubmission.id.desc()).limit(limit)
    if reason is not None:
        query = query.where(SpamSubmission.reason == reason)
    return list((await session.scalars(query)).all())


async def lock_held(session: AsyncSession, spam_id: int) -> SpamSubmission | None:
    """One held submission, locked for its release (two releases make one lead)."""
    return await session.get(SpamSubmission, spam_id, with_for_update=True)
