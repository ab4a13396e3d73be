"""The `lead_cards` table: what a delivery says of a lead (personal: erased with the person)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from leadkit.db import Connection, columns
from sla_monitor.delivery.domain.payloads import LeadCard

# a later capture's person and latest touch replace the card's; the first touch stays the first
_CAPTURED = """
INSERT INTO lead_cards (lead_id, person, first_touch, latest_touch, updated_at)
SELECT l, p::jsonb, f::jsonb, t::jsonb, $5 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
    AS u(l, p, f, t)
ON CONFLICT (lead_id) DO UPDATE SET person = excluded.person,
    first_touch = coalesce(lead_cards.first_touch, excluded.first_touch),
    latest_touch = excluded.latest_touch, updated_at = excluded.updated_at
"""
_SCORED = """
INSERT INTO lead_cards (lead_id, score, grade, reasons, updated_at)
SELECT l, s, g, r::jsonb, $5 FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS u(l, s, g, r)
ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score, grade = excluded.grade,
    reasons = excluded.reasons, updated_at = excluded.updated_at
"""
_LOAD = """
SELECT lead_id, person::text AS person, first_touch::text AS first_touch,
       latest_touch::text AS latest_touch, score, grade, reasons::text AS reasons
FROM lead_cards WHERE lead_id = ANY($1::uuid[])
"""
_FORGET = "DELETE FROM lead_cards WHERE lead_id = ANY($1::uuid[])"


async def record_captures(
    conn: Connection,
    cards: Sequence[tuple[UUID, Mapping[str, Any], Mapping[str, Any] | None, Mapping[str, Any]]],
    now: datetime,
) -> None:
    """(lead, person, first touch, latest touch) per captured lead, in lead order."""
    rows = [(lead, json.dumps(p), json.dumps(f) if f else None, json.dumps(t)) for lead, p, f, t in cards]
    if rows:
        await conn.execute(_CAPTURED, *columns(rows, width=4), now)


async def record_scores(
    conn: Connection, scores: Sequence[tuple[UUID, int, str, Sequence[Mapping[str, Any]]]], now: datetime
) -> None:
    """(lead, score, grade, reasons) per scored lead, in lead order."""
    rows = [(lead, score, grade, json.dumps(list(reasons))) for lead, score, grade, reasons in scores]
    if rows:
        await conn.execute(_SCORED, *columns(rows, width=4), now)


async def cards_of(conn: Connection, lead_ids: Collection[UUID]) -> dict[UUID, LeadCard]:
    if not lead_ids:
        return {}
    found = {}
    for row in await conn.fetch(_LOAD, sorted(lead_ids)):
        found[row["lead_id"]] = LeadCard(
            person=json.loads(row["person"]),
            first_touch=json.loads(row["first_touch"]) if row["first_touch"] else None,
            latest_touch=json.loads(row["latest_touch"]) if row["latest_touch"] else None,
            score=row["score"],
            grade=row["grade"],
            reasons=tuple(json.loads(row["reasons"])),
        )
    return found


async def forget_cards(conn: Connection, lead_ids: Sequence[UUID]) -> None:
    await conn.execute(_FORGET, list(lead_ids))
