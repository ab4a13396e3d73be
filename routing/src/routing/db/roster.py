"""routing's reads and writes of its roster, accounts, rotation and loads (asyncpg, set-based)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from asyncpg import Record

from leadkit.db import Connection, columns
from leadkit.hours import parse_hours
from leadkit.policy_document import Problem
from routing.db.rep_changes import announce_reps
from routing.domain.accounts import Account, AccountIndex, normalize_company_name, parent_domains
from routing.domain.config import RoutingConfig
from routing.domain.fairness import LedgerCount
from routing.domain.policy import RoutingPolicy, roster_problems
from routing.domain.roster import Absence, LoadRow, Rep, Roster, Team

_ROSTER_VERSION = "SELECT version FROM roster_version WHERE id = 1"
_TEAMS = "SELECT id, name, manager FROM teams ORDER BY id"
# `at` null: the roster now. Otherwise as it was at `at`: reps deleted later still there, absences
# replaced later still in force (weights, caps and hours are today's: they keep no history).
_REPS = """
SELECT id, name, email, team, weight, daily_cap, weekly_cap, max_open, skills, timezone, hours, active,
       deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR deleted_at <= $1) AS deleted
FROM reps ORDER BY id
"""
_ABSENCES = """
SELECT rep_id, starts, ends, reason FROM absences
WHERE (cancelled_at IS NULL OR cancelled_at > coalesce($1::timestamptz, now()))
  AND ($1::timestamptz IS NOT NULL OR ends >= current_date - 1)
ORDER BY rep_id, starts
"""
_LOCK_TEAMS = "SELECT id FROM teams WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"
# read after the teams are locked (a statement of its own: one that locked and read at once would
# read with the snapshot it took before it waited for the lock)
_TEAM_STATE = """
SELECT (SELECT coalesce(json_agg(json_build_array(team, rep_id, credit)), '[]') FROM rotation
        WHERE team = ANY($1::text[]))::text AS rotation,
       (SELECT coalesce(json_agg(json_build_array(rep_id, open_leads, day, day_count, week, week_count)),
                        '[]')
        FROM rep_loads WHERE rep_id = ANY($2::text[]))::text AS loads
"""
SAVE_ROTATION = """
INSERT INTO rotation (team, rep_id, credit) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
ON CONFLICT (team, rep_id) DO UPDATE SET credit = excluded.credit
"""
SAVE_LOADS = """
INSERT INTO rep_loads (rep_id, open_leads, day, day_count, week, week_count)
SELECT * FROM unnest($1::text[], $2::int[], $3::date[], $4::int[], $5::date[], $6::int[])
ON CONFLICT (rep_id) DO UPDATE SET open_leads = excluded.open_leads, day = excluded.day,
    day_count = excluded.day_count, week = excluded.week, week_count = excluded.week_count
"""
_ACCOUNTS = """
SELECT id, name, owner, domains FROM accounts
WHERE id IN (SELECT account_id FROM account_domains WHERE domain = ANY($1::text[]))
   OR normalized_name = ANY($2::text[])
"""
# seeded until one of the file's teams exists (teams are never deleted, so this holds once done)
_NOT_SEEDED = "SELECT NOT EXISTS (SELECT 1 FROM teams WHERE id = ANY($1::text[]))"
_SEED_TEAMS = (
    "INSERT INTO teams (id, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"
)
_SEED_REPS = """
INSERT INTO reps (id, name, email, team, weight, active)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bool[])
ON CONFLICT DO NOTHING
"""


def rep_of(row: Record, absences: Sequence[Absence] = ()) -> Rep:
    return Rep(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        team=row["team"],
        weight=row["weight"],
        daily_cap=row["daily_cap"],
        weekly_cap=row["weekly_cap"],
        max_open=row["max_open"],
        skills=frozenset(s.lower() for s in row["skills"]),
        timezone=row["timezone"],
        hours=parse_hours(row["hours"]),
        active=row["active"],
        deleted=row["deleted"],
        absences=tuple(absences),
    )


async def load_teams(conn: Connection) -> dict[str, Team]:
    return {row["id"]: Team(row["id"], row["name"], row["manager"]) for row in await conn.fetch(_TEAMS)}


async def load_roster(conn: Connection, at: datetime | None = None) -> Roster:
    """Every team and rep (deleted ones flagged, so their team is still known), with absences."""
    absences: dict[str, list[Absence]] = {}
    for row in await conn.fetch(_ABSENCES, at):
        absences.setdefault(row["rep_id"], []).append(Absence(row["starts"], row["ends"], row["reason"]))
    teams = await load_teams(conn)
    reps = {row["id"]: rep_of(row, absences.get(row["id"], ())) for row in await conn.fetch(_REPS, at)}
    return Roster(teams=teams, reps=reps)


async def seed_roster(conn: Connection, config: RoutingConfig) -> None:
    """The configuration file's teams and reps, on a database that has none of its teams yet (a
    first start; safe to race). Teams made by other means before it do not stop the seeding."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('leadloop-routing-roster-seed'))")
        if not await conn.fetchval(_NOT_SEEDED, [team.id for team in config.teams]):
            return
        await conn.execute(_SEED_TEAMS, [t.id for t in config.teams], [t.name for t in config.teams])
        await conn.execute(
            _SEED_REPS,
            *columns([(r.id, r.name, r.email, r.team, r.weight, r.active) for r in config.reps], width=6),
        )


async def roster_check(conn: Connection, document: dict[str, Any], _: RoutingPolicy | None) -> list[Problem]:
    """The policy store's check: every team and rep a version names is on the roster now."""
    return roster_problems(document, await load_roster(conn))


async def match_accounts(conn: Connection, leads: Iterable[tuple[str | None, str | None]]) -> AccountIndex:
    """The accounts any of these (company_domain, company) pairs could match, as an index."""
    domains: set[str] = set()
    names: set[str] = set()
    for company_domain, company in leads:
        if company_domain:
            domains.update(parent_domains(company_domain))
        if company:
            names.add(normalize_company_name(company))
    if not domains and not names:
        return AccountIndex()
    rows = await conn.fetch(_ACCOUNTS, sorted(domains), sorted(names))
    return AccountIndex.of(Account(r["id"], r["name"], r["owner"], tuple(r["domains"])) for r in rows)


async def lock_teams(conn: Connection, teams: Collection[str]) -> list[str]:
    """Lock the teams' rows in id order: whoever holds a team's row alone reads and writes its
    rotation and its reps' loads, on every routing instance."""
    return [row["id"] for row in await conn.fetch(_LOCK_TEAMS, sorted(teams))]


async def load_team_state(
    conn: Connection, teams: Collection[str], reps: Collection[str]
) -> tuple[dict[str, dict[str, int]], dict[str, LoadRow]]:
    """The locked teams' rotation credits and their reps' loads, in one round trip."""
    row = await conn.fetchrow(_TEAM_STATE, sorted(teams), sorted(reps))
    assert row is not None
    credits: dict[str, dict[str, int]] = {team: {} for team in teams}
    for team, rep_id, credit in json.loads(row["rotation"]):
        credits.setdefault(team, {})[rep_id] = credit
    loads = {rep: LoadRow(rep) for rep in reps}
    for rep_id, open_leads, day, day_count, week, week_count in json.loads(row["loads"]):
        loads[rep_id] = LoadRow(
            rep_id,
            open_leads,
            date.fromisoformat(day) if day else None,
            day_count,
            date.fromisoformat(week) if week else None,
            week_count,
        )
    return credits, loads


_UPSERT_TEAMS = """
INSERT INTO teams (id, name, manager, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
ON CONFLICT (id) DO UPDATE SET name = excluded.name, manager = excluded.manager,
    updated_at = excluded.updated_at
"""
_UPSERT_REPS = """
INSERT INTO reps (id, name, email, team, weight, daily_cap, weekly_cap, max_open, skills, timezone, hours,
                  active, deleted_at, updated_at)
SELECT id, name, email, team, weight, daily_cap, weekly_cap, max_open,
       CASE WHEN skills = '' THEN '{}'::text[] ELSE string_to_array(skills, ',') END, timezone, hours, active,
       NULL, updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[],
            $9::text[], $10::text[], $11::text[], $12::bool[], $13::timestamptz[])
    AS u(id, name, email, team, weight, daily_cap, weekly_cap, max_open, skills, timezone, hours, active,
         updated_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, team = excluded.team,
    weight = excluded.weight, daily_cap = excluded.daily_cap, weekly_cap = excluded.weekly_cap,
    max_open = excluded.max_open, skills = excluded.skills, timezone = excluded.timezone,
    hours = excluded.hours,
    active = excluded.active, deleted_at = NULL, updated_at = excluded.updated_at
"""
_CANCEL_ABSENCES = """
UPDATE absences SET cancelled_at = $2 WHERE rep_id = $1 AND cancelled_at IS NULL AND ends >= $3
"""
_ADD_ABSENCES = """
INSERT INTO absences (rep_id, starts, ends, reason, created_at)
SELECT $1, * FROM unnest($2::date[], $3::date[], $4::text[], $5::timestamptz[])
"""
_UPSERT_ACCOUNTS = """
INSERT INTO accounts (id, name, normalized_name, owner, domains, updated_at)
SELECT id, name, normalized, owner,
       CASE WHEN domains = '' THEN '{}'::text[] ELSE string_to_array(domains, ',') END, updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
    AS u(id, name, normalized, owner, domains, updated_at)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, normalized_name = excluded.normalized_name,
    owner = excluded.owner, domains = excluded.domains, updated_at = excluded.updated_at
"""
_DROP_DOMAINS = "DELETE FROM account_domains WHERE account_id = ANY($1::text[]) OR domain = ANY($2::text[])"
_ADD_DOMAINS = "INSERT INTO account_domains (domain, account_id) SELECT * FROM unnest($1::text[], $2::text[])"


async def upsert_teams(conn: Connection, teams: Sequence[Team], now: datetime) -> None:
    await conn.execute(
        _UPSERT_TEAMS, *columns([(t.id, t.name, t.manager, now) for t in sorted(teams, key=lambda t: t.id)])
    )


async def upsert_reps(
    conn: Connection, reps: Sequence[Rep], hours_text: dict[str, str], now: datetime
) -> None:
    """Create or replace reps (a deleted rep put again comes back). `hours_text` keeps the hours
    as the user wrote them, which is how they are shown back."""
    rows = [
        (
            r.id,
            r.name,
            r.email,
            r.team,
            r.weight,
            r.daily_cap,
            r.weekly_cap,
            r.max_open,
            ",".join(sorted(r.skills)),
            r.timezone,
            hours_text.get(r.id, ""),
            r.active,
            now,
        )
        for r in sorted(reps, key=lambda r: r.id)
    ]
    if rows:
        await conn.execute(_UPSERT_REPS, *columns(rows))
        await announce_reps(conn, [r.id for r in reps], now)


async def replace_absences(
    conn: Connection, rep_id: str, absences: Sequence[Absence], *, today: date, now: datetime
) -> None:
    """The rep's absences from today on become these; past ones stay as history for replays."""
    await conn.execute(_CANCEL_ABSENCES, rep_id, now, today)
    if absences:
        await conn.execute(
            _ADD_ABSENCES,
            rep_id,
            [a.starts for a in absences],
            [a.ends for a in absences],
            [a.reason for a in absences],
            [now] * len(absences),
        )


async def upsert_accounts(conn: Connection, accounts: Sequence[Account], now: datetime) -> None:
    """Create or replace accounts; a domain moves to the account that names it last."""
    ordered = sorted(accounts, key=lambda a: a.id)
    await conn.execute(
        _UPSERT_ACCOUNTS,
        *columns(
            [
                (a.id, a.name, normalize_company_name(a.name), a.owner, ",".join(a.domains), now)
                for a in ordered
            ]
        ),
    )
    pairs = sorted({(d, a.id) for a in ordered for d in a.domains})
    await conn.execute(_DROP_DOMAINS, [a.id for a in ordered], [d for d, _ in pairs])
    if pairs:
        await conn.execute(_ADD_DOMAINS, *columns(pairs))


_LEDGER = """
SELECT rep_id, entry, method, reason, credited, count(*) AS count FROM ledger
WHERE team = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
GROUP BY rep_id, entry, method, reason, credited
"""


async def ledger_counts(
    conn: Connection, team: str, since: datetime | None, until: datetime | None
) -> list[LedgerCount]:
    """The fairness ledger of one team in a window, counted by rep, entry, method and reason."""
    return [LedgerCount(**dict(row)) for row in await conn.fetch(_LEDGER, team, since, until)]


async def save_reps(conn: Connection, reps: Sequence[tuple[Rep, str]], now: datetime) -> list[str]:
    """Write reps whose teams exist; the problems otherwise, one per rep (nothing is written then)."""
    roster = await load_roster(conn)
    problems = [f"{rep.id}: unknown team {rep.team!r}" for rep, _ in reps if rep.team not in roster.teams]
    if not problems:
        await upsert_reps(conn, [rep for rep, _ in reps], {rep.id: hours for rep, hours in reps}, now)
    return problems


async def roster_version(conn: Connection) -> int:
    """The number a trigger moves on every change to teams, reps or absences."""
    version: int = await conn.fetchval(_ROSTER_VERSION)
    return version
