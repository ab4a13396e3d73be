"""The `leads`, `mqls` and `progress` tables: every lead capture knows, its owner and stage, the
MQLs delivered to sales, and sales' steps.

Lock order, everywhere: a lead's row first, then its timers. A progress report, a new assignment
and the timer sweep can then never wait on each other in a cycle (a deadlock, and a 500).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadkit.db import Connection, columns
from sla_monitor.db.tables import ProgressReport, SalesLead, SlaTimer
from sla_monitor.domain.progress import LeadOnFile

_KNOW = """
INSERT INTO leads (lead_id, correlation_id, captured_at, email_hash, updated_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::timestamptz[])
ON CONFLICT (lead_id) DO UPDATE SET
    captured_at = least(leads.captured_at, excluded.captured_at),
    email_hash = coalesce(excluded.email_hash, leads.email_hash)
"""
_LOCK_LEADS = """
SELECT lead_id, stage, qualified_event_id FROM leads WHERE lead_id = ANY($1::uuid[])
ORDER BY lead_id FOR UPDATE
"""
_SAVE_LEADS = """
INSERT INTO leads (lead_id, owner, correlation_id, qualified_event_id, team, tier, sla_version, qualified_at,
                   assignment, facts, updated_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::int[],
                     $8::timestamptz[], $9::int[], $10::jsonb[], $11::timestamptz[])
ON CONFLICT (lead_id) DO UPDATE SET
    owner = excluded.owner, qualified_event_id = excluded.qualified_event_id, team = excluded.team,
    tier = excluded.tier, sla_version = excluded.sla_version, qualified_at = excluded.qualified_at,
    assignment = excluded.assignment, facts = excluded.facts, updated_at = excluded.updated_at,
    -- a new owner starts over (accept first); a won lead stays won
    stage = CASE WHEN leads.stage = 'won' THEN leads.stage ELSE NULL END
"""
_MQLS = """
INSERT INTO mqls (lead_id, qualified_at, team, region, source)
SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])
"""
_FORGET = "UPDATE leads SET email_hash = NULL WHERE lead_id = ANY($1::uuid[])"
_FORGET_DETAIL = "UPDATE progress SET detail = NULL WHERE lead_id = ANY($1::uuid[]) AND detail IS NOT NULL"
_LEAD = """
SELECT lead_id, owner, correlation_id, qualified_event_id, stage, captured_at, team, tier, sla_version,
       assignment
FROM leads WHERE lead_id = $1 FOR UPDATE
"""
_STAGE = "UPDATE leads SET stage = $2, updated_at = $3 WHERE lead_id = $1"
_RECORD = """
INSERT INTO progress (lead_id, stage, previous_stage, owner, amount, currency, reason, detail, channel,
                      forced, occurred_at, via, event_id, reported_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
"""
_BY_EMAIL = "SELECT lead_id FROM leads WHERE email_hash = $1 ORDER BY captured_at DESC NULLS LAST LIMIT 1"


@dataclass(frozen=True)
class Assignment:
    """What a lead had before a new assignment: whether sales had it already and where it stood."""

    stage: str | None
    qualified_event_id: UUID | None


@dataclass(frozen=True)
class StepRecord:
    """One sales step as the `progress` table keeps it."""

    lead_id: UUID
    stage: str
    previous_stage: str | None
    owner: str | None
    amount: Decimal | None
    currency: str | None
    reason: str | None
    detail: str | None
    channel: str | None
    forced: bool
    occurred_at: datetime
    via: str
    event_id: UUID
    reported_at: datetime


@dataclass(frozen=True)
class LeadStory:
    """A lead with its clocks and steps, in the order they were made (for GET /v1/leads/{id}/sla)."""

    lead: SalesLead
    timers: Sequence[SlaTimer]
    steps: Sequence[ProgressReport]


async def know_leads(
    conn: Connection, rows: Sequence[tuple[UUID, UUID, datetime, str | None, datetime]]
) -> None:
    """(lead, correlation, captured at, email hash, now) for every captured lead, in lead order."""
    await conn.execute(_KNOW, *columns(rows, width=5))


async def lock_assignments(conn: Connection, leads: Sequence[UUID]) -> dict[UUID, Assignment]:
    """The leads' rows, locked in lead order (the lock order of every writer)."""
    rows = await conn.fetch(_LOCK_LEADS, leads)
    return {row["lead_id"]: Assignment(row["stage"], row["qualified_event_id"]) for row in rows}


async def save_assignments(conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """(lead, owner, correlation, qualified event, team, tier, version, qualified at, assignment,
    facts as JSON, now) per lead."""
    await conn.execute(_SAVE_LEADS, *columns(rows, width=11))


async def record_mqls(
    conn: Connection, rows: Sequence[tuple[UUID, datetime, str | None, str | None, str | None]]
) -> None:
    """(lead, qualified at, team, region, source) of each lead sales receives anew."""
    if rows:
        await conn.execute(_MQLS, *columns(rows, width=5))


async def forget_people(conn: Connection, lead_ids: Sequence[UUID]) -> None:
    """An erased person: no email hash to find them by, no words of sales' about them."""
    await conn.execute(_FORGET, lead_ids)
    await conn.execute(_FORGET_DETAIL, lead_ids)


async def lock_lead(conn: Connection, lead_id: UUID) -> LeadOnFile | None:
    row = await conn.fetchrow(_LEAD, lead_id)
    return None if row is None else LeadOnFile(**dict(row))


async def set_stage(conn: Connection, lead_id: UUID, stage: str, now: datetime) -> None:
    await conn.execute(_STAGE, lead_id, stage, now)


async def record_step(conn: Connection, step: StepRecord) -> None:
    await conn.execute(
        _RECORD,
        step.lead_id,
        step.stage,
        step.previous_stage,
        step.owner,
        step.amount,
        step.currency,
        step.reason,
        step.detail,
        step.channel,
        step.forced,
        step.occurred_at,
        step.via,
        step.event_id,
        step.reported_at,
    )


async def lead_by_email_hash(conn: Connection, hashed: str) -> UUID | None:
    """The latest captured lead of an email (as its hash)."""
    found: UUID | None = await conn.fetchval(_BY_EMAIL, hashed)
    return found


async def lead_story(session: AsyncSession, lead_id: UUID) -> LeadStory | None:
    lead = await session.get(SalesLead, lead_id)
    if lead is None:
        return None
    timers = (
        await session.scalars(select(SlaTimer).where(SlaTimer.lead_id == lead_id).order_by(SlaTimer.id))
    ).all()
    steps = (
        await session.scalars(
            select(ProgressReport).where(ProgressReport.lead_id == lead_id).order_by(ProgressReport.id)
        )
    ).all()
    return LeadStory(lead, timers, steps)


_FACTS = "SELECT lead_id, owner, team, facts::text AS facts FROM leads WHERE lead_id = ANY($1::uuid[])"


async def lead_facts(conn: Connection, lead_ids: Collection[UUID]) -> dict[UUID, dict[str, str | None]]:
    """What subscriptions filter on, as sla-monitor last knew each lead: owner, team, and the
    grade, source and region its SLA tier was chosen on."""
    found: dict[UUID, dict[str, str | None]] = {}
    for row in await conn.fetch(_FACTS, sorted(lead_ids)):
        facts = json.loads(row["facts"]) if row["facts"] else {}
        found[row["lead_id"]] = {
            "owner": row["owner"],
            "team": row["team"],
            "grade": facts.get("grade"),
            "source": facts.get("source"),
            "region": facts.get("region"),
        }
    return found
