"""The live feed's read: the latest leads captured, each with the furthest of captured → scored →
routed → accepted it reached, from the funnel projection (no personal data is in it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection

_LATEST = """
SELECT lead_id, captured_at, source, campaign, channel, score, grade, is_mql, owner, team, assigned_at,
       sal_at, first_contact_at, is_rejected, is_recycled
FROM lead_funnel
WHERE captured_at IS NOT NULL AND NOT erased AND ($2::timestamptz IS NULL OR captured_at >= $2)
ORDER BY captured_at DESC, lead_id DESC
LIMIT $1
"""


@dataclass(frozen=True)
class LatestLead:
    lead_id: UUID
    captured_at: datetime
    source: str | None
    campaign: str | None
    channel: str | None
    score: int | None
    grade: str | None
    is_mql: bool
    owner: str | None
    team: str | None
    assigned_at: datetime | None
    sal_at: datetime | None
    first_contact_at: datetime | None
    is_rejected: bool
    is_recycled: bool


async def latest_leads(conn: Connection, *, limit: int, since: datetime | None) -> list[LatestLead]:
    return [LatestLead(**dict(row)) for row in await conn.fetch(_LATEST, limit, since)]
