"""What routing's API reads beyond the roster: a lead's routing story (every decision with its
candidates), reps with their load and absences, one account, and a past window for a policy's
what-if. Rows come back typed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lead_schemas import LeadProfile
from leadkit.db import Connection
from routing.db.rep_changes import announce_reps
from routing.db.roster import load_teams, rep_of
from routing.domain.lead import account_of
from routing.domain.roster import Absence, LoadRow, Rep
from routing.domain.simulate import PastAbsence, PastLead, RosterHistory

_LEAD = """
SELECT lead_id, status, score, grade, qualified, qualification_reason, owner, team, queued_at FROM leads
WHERE lead_id = $1
"""
_RECORDS = """
SELECT kind, owner, previous_owner, team, rule, method, policy_version, reason, steps::text, candidates::text,
       tie_break, decision_us, inputs::text, passed_over::text, assigned_at, cause_event_id, event_id
FROM assignments WHERE lead_id = $1 ORDER BY assigned_at, id
"""
_JSON_COLUMNS = ("steps", "candidates", "inputs", "passed_over")
_REP_ROWS = """
SELECT r.id, r.name, r.email, r.team, r.weight, r.daily_cap, r.weekly_cap, r.max_open, r.skills, r.timezone,
       r.hours, r.active, r.availability_reason, r.deleted_at IS NOT NULL AS deleted,
       coalesce(l.open_leads, 0) AS open_leads, l.day, coalesce(l.day_count, 0) AS day_count, l.week,
       coalesce(l.week_count, 0) AS week_count
FROM reps r LEFT JOIN rep_loads l ON l.rep_id = r.id WHERE ($1::text IS NULL OR r.id = $1) ORDER BY r.id
"""
_ABSENCE_ROWS = """
SELECT rep_id, starts, ends, reason FROM absences
WHERE cancelled_at IS NULL AND ends >= current_date - 1 AND ($1::text IS NULL OR rep_id = $1)
ORDER BY rep_id, starts
"""
_ACCOUNT = "SELECT id, name, normalized_name, owner, domains FROM accounts WHERE id = $1"
_SET_ACTIVE = "UPDATE reps SET active = $2, updated_at = $3, availability_reason = $4 WHERE id = $1"
_DELETE_REP = "UPDATE reps SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL"
_PAST = """
SELECT DISTINCT ON (a.lead_id) a.lead_id, a.assigned_at, a.owner, a.team, a.inputs::text AS inputs,
       l.closed_at
FROM assignments a JOIN leads l USING (lead_id)
WHERE a.kind = 'assign' AND a.inputs IS NOT NULL AND a.assigned_at >= $1 AND a.assigned_at < $2
ORDER BY a.lead_id, a.assigned_at, a.id
LIMIT $3
"""
_REPS = """
SELECT id, name, email, team, weight, daily_cap, weekly_cap, max_open, skills, timezone, hours, active,
       false AS deleted, deleted_at FROM reps
"""
_ABSENCES = "SELECT rep_id, starts, ends, reason, created_at, cancelled_at FROM absences"


@dataclass(frozen=True)
class RoutedLead:
    lead_id: UUID
    status: str
    score: int
    grade: str
    qualified: bool
    qualification_reason: str
    owner: str | None
    team: str | None
    queued_at: datetime | None


@dataclass(frozen=True)
class DecisionRecord:
    """One routing decision as it was recorded: rule, method, candidates (who was passed over and
    why), tie-break, what the rules tested, and the event it announced."""

    kind: str
    owner: str | None
    previous_owner: str | None
    team: str | None
    rule: str
    method: str | None
    policy_version: int | None
    reason: str
    steps: list[str]
    candidates: list[dict[str, object]]
    tie_break: str | None
    decision_us: int | None
    inputs: dict[str, object] | None
    passed_over: list[dict[str, object]]
    assigned_at: datetime
    cause_event_id: UUID | None
    event_id: UUID | None


@dataclass(frozen=True)
class RoutingStory:
    """A lead as routing holds it, and every decision about it, oldest first."""

    lead: RoutedLead
    decisions: list[DecisionRecord]


@dataclass(frozen=True)
class RepWithLoad:
    """A rep with its open leads, the day's and week's assignment counts, and coming absences;
    its hours and skills also as they were written."""

    rep: Rep
    hours: str
    skills: list[str]
    load: LoadRow
    absences: list[Absence]
    availability_reason: str | None  # why the on/off switch was last moved


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    normalized_name: str
    owner: str | None
    domains: list[str]


async def routing_story(conn: Connection, lead_id: UUID) -> RoutingStory | None:
    lead = await conn.fetchrow(_LEAD, lead_id)
    if lead is None:
        return None
    decisions = []
    for row in await conn.fetch(_RECORDS, lead_id):
        values = dict(row)
        for name in _JSON_COLUMNS:
            values[name] = json.loads(values[name]) if values[name] is not None else None
        decisions.append(DecisionRecord(**values))
    return RoutingStory(RoutedLead(**dict(lead)), decisions)


async def reps_with_load(conn: Connection, rep_id: str | None = None) -> list[RepWithLoad]:
    """Every rep (or one), with load and the absences not yet over."""
    absences: dict[str, list[Absence]] = {}
    for row in await conn.fetch(_ABSENCE_ROWS, rep_id):
        absences.setdefault(row["rep_id"], []).append(Absence(row["starts"], row["ends"], row["reason"]))
    found = []
    for row in await conn.fetch(_REP_ROWS, rep_id):
        load = LoadRow(
            row["id"], row["open_leads"], row["day"], row["day_count"], row["week"], row["week_count"]
        )
        found.append(
            RepWithLoad(
                rep_of(row),
                row["hours"],
                list(row["skills"]),
                load,
                absences.get(row["id"], []),
                row["availability_reason"],
            )
        )
    return found


async def account_by_id(conn: Connection, account_id: str) -> AccountRow | None:
    row = await conn.fetchrow(_ACCOUNT, account_id)
    return None if row is None else AccountRow(**dict(row))


async def set_rep_active(
    conn: Connection, rep_id: str, active: bool, now: datetime, reason: str | None = None
) -> None:
    async with conn.transaction():
        await conn.execute(_SET_ACTIVE, rep_id, active, now, reason)
        await announce_reps(conn, [rep_id], now)


async def delete_rep(conn: Connection, rep_id: str, now: datetime) -> bool:
    """Take a rep out of routing; False when there was no such rep (or it was already gone)."""
    async with conn.transaction():
        done = await conn.execute(_DELETE_REP, rep_id, now)
        deleted = not done.endswith(" 0")
        if deleted:
            await announce_reps(conn, [rep_id], now)
    return deleted


async def roster_history(conn: Connection) -> RosterHistory:
    reps = await conn.fetch(_REPS)
    return RosterHistory(
        teams=await load_teams(conn),
        reps={r["id"]: rep_of(r) for r in reps},
        deleted_at={r["id"]: r["deleted_at"] for r in reps if r["deleted_at"] is not None},
        absences=tuple(
            PastAbsence(
                r["rep_id"], Absence(r["starts"], r["ends"], r["reason"]), r["created_at"], r["cancelled_at"]
            )
            for r in await conn.fetch(_ABSENCES)
        ),
    )


async def past_leads(conn: Connection, start: datetime, to: datetime, limit: int) -> list[PastLead]:
    """Up to `limit` leads first assigned in the window, with what the rules tested then."""
    found = []
    for row in await conn.fetch(_PAST, start, to, limit):
        inputs = json.loads(row["inputs"])
        profile = inputs.get("profile")
        found.append(
            PastLead(
                lead_id=row["lead_id"],
                at=row["assigned_at"],
                owner=row["owner"],
                team=row["team"],
                score=inputs["score"],
                grade=inputs["grade"],
                qualified=inputs["qualified"],
                profile=LeadProfile.model_validate(profile) if profile else None,
                account=account_of(inputs),
                closed_at=row["closed_at"],
            )
        )
    return found
