"""The `crm_records` table: the record a CRM adapter made for a lead, so later events update it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection

_ONE = "SELECT record_id, related_id FROM crm_records WHERE subscription_id = $1 AND lead_id = $2"
_SAVE = """
INSERT INTO crm_records (subscription_id, lead_id, record_id, related_id, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (subscription_id, lead_id) DO UPDATE SET record_id = excluded.record_id,
    related_id = coalesce(excluded.related_id, crm_records.related_id), updated_at = excluded.updated_at
"""
_FORGET = "DELETE FROM crm_records WHERE lead_id = ANY($1::uuid[])"


@dataclass(frozen=True)
class CrmRecord:
    record_id: str  # HubSpot's contact, Salesforce's Lead
    related_id: str | None = None  # HubSpot's Lead object beside the contact


async def record_of(conn: Connection, subscription_id: UUID, lead_id: UUID) -> CrmRecord | None:
    row = await conn.fetchrow(_ONE, subscription_id, lead_id)
    return None if row is None else CrmRecord(row["record_id"], row["related_id"])


async def save_record(
    conn: Connection, subscription_id: UUID, lead_id: UUID, record: CrmRecord, now: datetime
) -> None:
    await conn.execute(_SAVE, subscription_id, lead_id, record.record_id, record.related_id, now)


async def forget_records(conn: Connection, lead_ids: list[UUID]) -> None:
    await conn.execute(_FORGET, lead_ids)
