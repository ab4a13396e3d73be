"""Tombstones of erased people, kept by every service that holds personal data (DESIGN.md, 10).

A `lead.erased` leaves a row here in the transaction that drops the person's data; a handler
that is about to store personal data first asks `erased_among`, so a late, redelivered or
replayed event (or a rebuild) cannot bring the person back. The row holds the lead id and when,
nothing else.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Uuid

from leadkit.db import Connection

_RECORD = """
INSERT INTO erased_leads (lead_id, erased_at) SELECT unnest($1::uuid[]), $2
ON CONFLICT (lead_id) DO NOTHING
"""
_AMONG = "SELECT lead_id FROM erased_leads WHERE lead_id = ANY($1::uuid[])"
# published rows are kept a day for operators (the relay's sweep); an erased person's go now. A row
# not yet published is left to the relay: the lead.erased that follows it reaches every consumer.
_FORGET_PUBLISHED = "DELETE FROM outbox WHERE key = ANY($1::text[]) AND published_at IS NOT NULL"
# a quarantined item's error may quote what failed to load: an erased person's item keeps no words
_FORGET_QUARANTINED = (
    "UPDATE quarantine SET error = 'erased: the error is not kept' WHERE item = ANY($1::text[])"
)


def tombstone_table(metadata: MetaData) -> Table:
    return Table(
        "erased_leads",
        metadata,
        Column("lead_id", Uuid, primary_key=True),
        Column("erased_at", DateTime(timezone=True), nullable=False),
        comment="people who asked to be forgotten: no event may store their personal data again",
    )


async def record_erased(conn: Connection, lead_ids: Collection[UUID], at: datetime) -> None:
    """The tombstones, the erased people's published outbox rows gone, and their quarantined
    items' errors dropped."""
    if lead_ids:
        await conn.execute(_RECORD, sorted(lead_ids), at)
        await forget_published(conn, lead_ids)
        await conn.execute(_FORGET_QUARANTINED, [str(lead_id) for lead_id in sorted(lead_ids)])


async def forget_published(conn: Connection, lead_ids: Collection[UUID]) -> None:
    """The erased people's published outbox rows (capture, which keeps its own tombstone, too)."""
    await conn.execute(_FORGET_PUBLISHED, [str(lead_id) for lead_id in sorted(lead_ids)])


async def erased_among(conn: Connection, lead_ids: Collection[UUID]) -> set[UUID]:
    if not lead_ids:
        return set()
    return {row["lead_id"] for row in await conn.fetch(_AMONG, sorted(lead_ids))}
