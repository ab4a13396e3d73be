"""The `leads`, `assignments` and `ledger` tables as a routing batch reads and writes them: the
leads locked in id order, a team's queue, earlier owners, and the batch's writes in one statement."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from asyncpg import Record

from lead_schemas import LeadProfile
from leadkit.db import Connection, columns
from routing.db.roster import SAVE_LOADS, SAVE_ROTATION
from routing.domain.lead import Lead

_LOAD_LEADS = """
SELECT lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
       profile::text AS profile, correlation_id, queued_at, closed_at
FROM leads WHERE lead_id = ANY($1::uuid[]) ORDER BY lead_id FOR UPDATE
"""
_QUEUED = """
SELECT lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
       profile::text AS profile, correlation_id, queued_at, closed_at
FROM leads WHERE status = 'queued' AND team = ANY($1::text[]) ORDER BY queued_at, lead_id
LIMIT $2 FOR UPDATE SKIP LOCKED
"""
_EARLIER_OWNERS = """
SELECT DISTINCT lead_id, owner FROM assignments WHERE lead_id = ANY($1::uuid[]) AND owner IS NOT NULL
"""
_SAVE_LEADS = """
INSERT INTO leads (lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
                   profile, correlation_id, queued_at, closed_at, updated_at)
SELECT lead_id, score, grade, qualified, reason, owner, assignments, status, team, profile::jsonb,
       correlation_id, queued_at, closed_at, updated_at
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bool[], $5::text[], $6::text[], $7::int[], $8::text[],
            $9::text[], $10::text[], $11::uuid[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[])
    AS u(lead_id, score, grade, qualified, reason, owner, assignments, status, team, profile, correlation_id,
         queued_at, closed_at, updated_at)
ON CONFLICT (lead_id) DO UPDATE SET
    score = excluded.score, grade = excluded.grade, qualified = excluded.qualified,
    qualification_reason = excluded.qualification_reason, owner = excluded.owner,
    assignments = excluded.assignments, status = excluded.status, team = excluded.team,
    profile = excluded.profile, correlation_id = excluded.correlation_id, queued_at = excluded.queued_at,
    closed_at = excluded.closed_at, updated_at = excluded.updated_at
"""
_RECORD_ASSIGNMENTS = """
INSERT INTO assignments (lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id, event_id,
                         assigned_at, kind, team, method, policy_version, candidates, tie_break, steps,
                         decision_us, inputs)
SELECT lead_id, owner, previous_owner, rule, reason, passed_over::jsonb, cause_event_id, event_id,
       assigned_at, kind, team, method, policy_version, candidates::jsonb, tie_break, steps::jsonb,
       decision_us, inputs::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[],
            $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::text[],
            $16::text[], $17::int[], $18::text[])
    AS u(lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id, event_id, assigned_at,
         kind, team, method, policy_version, candidates, tie_break, steps, decision_us, inputs)
"""
_RECORD_LEDGER = """
INSERT INTO ledger (team, rep_id, lead_id, entry, method, reason, credited, at)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bool[],
                     $8::timestamptz[])
"""
_QUEUED_TEAMS = """
SELECT team, count(*) AS queued FROM leads WHERE status = 'queued' AND team IS NOT NULL GROUP BY team
"""


def _renumbered(statement: str, offset: int) -> str:
    return re.sub(r"\$(\d+)", lambda match: f"${int(match.group(1)) + offset}", statement.strip())


# Data-modifying CTEs all run, whatever the final SELECT reads; unnest of empty arrays writes nothing.
_WRITE_BATCH = f"""
WITH saved_leads AS ({_renumbered(_SAVE_LEADS, 0)}),
     records AS ({_renumbered(_RECORD_ASSIGNMENTS, 14)}),
     ledger_rows AS ({_renumbered(_RECORD_LEDGER, 32)}),
     rotation_rows AS ({_renumbered(SAVE_ROTATION, 40)}),
     load_rows AS ({_renumbered(SAVE_LOADS, 43)})
SELECT 1
"""


def _lead(row: Record) -> Lead:
    values = dict(row)
    profile = values.pop("profile")
    return Lead(**values, profile=LeadProfile.model_validate_json(profile) if profile else None)


async def lock_leads(conn: Connection, lead_ids: Collection[UUID]) -> dict[UUID, Lead]:
    """The leads routing knows among these, locked in id order (the lock order of every instance)."""
    if not lead_ids:
        return {}
    return {row["lead_id"]: _lead(row) for row in await conn.fetch(_LOAD_LEADS, sorted(lead_ids))}


async def lock_queued(conn: Connection, teams: Collection[str], limit: int) -> list[Lead]:
    """The oldest queued leads of these teams, locked (SKIP LOCKED: a lead another batch holds
    waits for the next pass), each with the reps that owned it before."""
    queued = [_lead(row) for row in await conn.fetch(_QUEUED, sorted(teams), limit)]
    await add_earlier_owners(conn, queued)
    return queued


async def add_earlier_owners(conn: Connection, leads: Sequence[Lead]) -> None:
    """Every rep that ever owned each lead, into `earlier_owners` (a reassignment passes them over)."""
    if not leads:
        return
    by_id = {lead.lead_id: lead for lead in leads}
    for row in await conn.fetch(_EARLIER_OWNERS, list(by_id)):
        by_id[row["lead_id"]].earlier_owners.add(row["owner"])


async def queued_counts(conn: Connection) -> dict[str, int]:
    """Leads waiting in each team's queue."""
    return {row["team"]: row["queued"] for row in await conn.fetch(_QUEUED_TEAMS)}


async def write_batch(
    conn: Connection,
    leads: Sequence[tuple[Any, ...]],
    records: Sequence[tuple[Any, ...]],
    ledger: Sequence[tuple[Any, ...]],
    rotation: Sequence[tuple[Any, ...]],
    loads: Sequence[tuple[Any, ...]],
) -> None:
    """Leads, records, ledger, rotation and loads: one statement, one round trip."""
    if not (leads or records or ledger or rotation or loads):
        return
    await conn.execute(
        _WRITE_BATCH,
        *columns(leads, width=14),
        *columns(records, width=18),
        *columns(ledger, width=8),
        *columns(rotation, width=3),
        *columns(loads, width=6),
    )
