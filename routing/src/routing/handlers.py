"""routing's use cases: qualify scored leads and give each an owner (or a team's queue); reassign
after an SLA breach; release capacity when sales closes or recycles a lead; serve queued leads.

Set-based: one handler takes a poll's lead.scored, lead.sla_breached, lead.progressed and
lead.recycled events together, in order. The leads are read and locked in one statement; the
teams any of them may need are locked once, in id order (the lock every routing instance takes
before it reads a team's rotation or its reps' loads); the decisions are made in memory by the
pure domain; leads, assignment records, ledger rows, rotation and loads are written in one
statement each, and the lead.qualified events go to the outbox in the same transaction.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from lead_schemas import (
    Envelope,
    LeadProfile,
    LeadProgressed,
    LeadQualified,
    LeadQualifiedData,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
    PassedOver,
)
from leadkit.consumer import HandlerContext
from leadkit.db import Connection, columns
from leadkit.messaging import Outbox
from leadkit.policies import PolicyStore
from routing.domain.accounts import Account, AccountMatch
from routing.domain.config import RoutingConfig
from routing.domain.decide import Decision, RotationView, decide, decide_within_team, lead_fields
from routing.domain.policy import RoutingPolicy
from routing.domain.qualify import qualify
from routing.domain.roster import Roster
from routing.store import (
    LoadRow,
    load_loads,
    load_roster,
    load_rotation,
    lock_teams,
    match_accounts,
    save_loads,
    save_rotation,
    seed_roster,
)

PRODUCER = "routing"
CLOSING_STAGES = frozenset({"won", "lost", "rejected"})
ROUTABLE = frozenset({"new", "recycled"})  # a lead with an open owner or in a queue keeps it
log = structlog.get_logger(__name__)


@dataclass
class RoutingParts:
    """What routing's handlers, API and CLI share (the service's typed Deps extras)."""

    config: RoutingConfig
    policies: PolicyStore[RoutingPolicy]
    _roster_seeded: bool = False

    async def ensure_roster(self, conn: Connection) -> None:
        """An empty roster gets the configuration file's teams and reps (once a process)."""
        if not self._roster_seeded:
            await seed_roster(conn, self.config)
            self._roster_seeded = True


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


@dataclass
class Lead:
    lead_id: UUID
    score: int = 0
    grade: str = ""
    qualified: bool = False
    qualification_reason: str = ""
    owner: str | None = None
    assignments: int = 0
    status: str = "new"
    team: str | None = None
    profile: LeadProfile | None = None
    correlation_id: UUID | None = None
    queued_at: datetime | None = None
    closed_at: datetime | None = None
    earlier_owners: set[str] = field(default_factory=set)
    account: AccountMatch | None = None

    @classmethod
    def of(cls, row: Any) -> Lead:
        values = dict(row)
        profile = values.pop("profile")
        return cls(**values, profile=LeadProfile.model_validate_json(profile) if profile else None)

    def inputs(self) -> dict[str, Any]:
        """What the rules tested, kept with the record so a replay can test a draft's rules."""
        account = self.account
        return {
            "score": self.score,
            "grade": self.grade,
            "qualified": self.qualified,
            "profile": self.profile.model_dump(mode="json") if self.profile else None,
            "account": None
            if account is None
            else {
                "id": account.account.id,
                "name": account.account.name,
                "owner": account.account.owner,
                "matched_by": account.matched_by,
            },
        }


def account_of(inputs: dict[str, Any]) -> AccountMatch | None:
    found = inputs.get("account")
    if not found:
        return None
    return AccountMatch(Account(found["id"], found["name"], found["owner"]), found["matched_by"])


class RoutingBatch:
    """One transaction's routing: the locked leads and teams, decisions in memory, written at the end."""

    def __init__(
        self,
        conn: Connection,
        outbox: Outbox,
        now: datetime,
        policy: tuple[int, RoutingPolicy],
        roster: Roster,
    ) -> None:
        self.conn, self.outbox, self.now = conn, outbox, now
        self.version, self.policy = policy
        self.roster = roster
        self.leads: dict[UUID, Lead] = {}
        self.credits: dict[str, dict[str, int]] = {}
        self.loads: dict[str, LoadRow] = {}
        self.locked: set[str] = set()
        self.touched_teams: set[str] = set()
        self.released_teams: set[str] = set()
        self.records: list[tuple[Any, ...]] = []
        self.ledger: list[tuple[Any, ...]] = []

    # --- locks and state ------------------------------------------------------------------------
    async def lock(self, teams: Collection[str]) -> None:
        """Lock every team this batch may touch, once, in id order, then read their rotation and
        the loads of their reps (and of the batch's leads' owners and the teams' managers)."""
        if self.loads:
            raise RuntimeError("a batch locks its teams once, before deciding")
        self.locked = set(await lock_teams(self.conn, {team for team in teams if team}))
        members = [rep.id for team in self.locked for rep in self.roster.members(team)]
        owners = [lead.owner for lead in self.leads.values() if lead.owner]
        managers = [self.roster.teams[t].manager for t in self.locked if t in self.roster.teams]
        self.credits = await load_rotation(self.conn, self.locked)
        self.loads = await load_loads(self.conn, {*members, *owners, *(m for m in managers if m)})

    def view(self) -> RotationView:
        loads = {rep: row.load_at(self.roster.reps.get(rep), self.now) for rep, row in self.loads.items()}
        return RotationView(self.credits, loads)

    def teams_for(self, lead: Lead, fields: dict[str, object]) -> set[str]:
        """Every team a first routing of `lead` may reach, so all are locked before deciding."""
        rule = self.policy.rule_for(fields)
        teams = {rule.team, rule.fallback.team, self.policy.fallback.team}
        for rep in (rule.rep, rule.fallback.rep, lead.account.account.owner if lead.account else None):
            teams.add(self.roster.team_of(rep) if rep else None)
        return {team for team in teams if team}

    def teams_within(self, team: str | None) -> set[str]:
        found = {team} if team else set()
        manager = self.roster.teams[team].manager if team and team in self.roster.teams else None
        manager_team = self.roster.team_of(manager) if manager else None
        return found | ({manager_team} if manager_team else set())

    def fields(self, lead: Lead) -> dict[str, object]:
        return lead_fields(
            score=lead.score,
            grade=lead.grade,
            qualified=lead.qualified,
            profile=lead.profile,
            policy=self.policy,
            account=lead.account,
        )

    # --- the use cases ----------------------------------------------------------------------------
    def route(self, lead: Lead, cause: Envelope | None, why: str) -> None:
        started = time.perf_counter_ns()
        decision = decide(self.fields(lead), lead.account, self.policy, self.roster, self.view(), at=self.now)
        self.apply(lead, decision, cause, why, kind="assign", started=started)

    def reassign(
        self,
        lead: Lead,
        cause: Envelope | None,
        why: str,
        *,
        exclude: Collection[str],
        kind: str = "reassign",
    ) -> None:
        started = time.perf_counter_ns()
        team = lead.team or self.roster.team_of(lead.owner or "") or self.policy.fallback.team or ""
        decision = decide_within_team(
            self.fields(lead),
            team,
            self.policy,
            self.roster,
            self.view(),
            at=self.now,
            exclude=exclude,
            exhausted=True,
        )
        self.apply(lead, decision, cause, why, kind=kind, started=started)

    def serve_queued(self, lead: Lead) -> bool:
        """A queued lead's turn: assigned when someone in its team can take it now; else it waits
        (no record, no event: it is still where the last record says)."""
        started = time.perf_counter_ns()
        decision = decide_within_team(
            self.fields(lead),
            lead.team or "",
            self.policy,
            self.roster,
            self.view(),
            at=self.now,
            exclude=lead.earlier_owners,
            exhausted=False,
        )
        if decision.owner is None:
            return False
        waited = self.now - lead.queued_at if lead.queued_at else None
        why = f"{lead.qualification_reason}; served from the queue" + (
            f" after {int(waited.total_seconds())} s" if waited is not None else ""
        )
        self.apply(lead, decision, None, why, kind="queue_turn", started=started)
        return True

    def assign_to(self, lead: Lead, rep_id: str, why: str) -> None:
        """A person's choice (`POST /v1/leads/{id}/reassign` with `to`): recorded as theirs."""
        rep = self.roster.reps[rep_id]
        decision = Decision(rep.id, rep.team, "manual", "manual", f"{rep.name} was chosen by hand")
        self.apply(lead, decision, None, why, kind="manual", started=time.perf_counter_ns())

    def release(self, lead: Lead, why: str) -> None:
        """Sales closed or recycled the lead: its owner's open-lead count drops by one."""
        if lead.status == "assigned" and lead.owner:
            self._load(lead.owner).released()
            team = self.roster.team_of(lead.owner)
            if team:
                self.released_teams.add(team)
            log.debug("capacity released", lead_id=str(lead.lead_id), owner=lead.owner, why=why)

    def _load(self, rep_id: str) -> LoadRow:
        """A rep's load as read under the lock; a rep the batch did not lock for is a bug, not a 0."""
        if rep_id not in self.loads:
            raise RuntimeError(f"rep {rep_id}'s load was not read under its team's lock")
        return self.loads[rep_id]

    def apply(
        self, lead: Lead, decision: Decision, cause: Envelope | None, why: str, *, kind: str, started: int
    ) -> None:
        decision_us = (time.perf_counter_ns() - started) // 1000
        previous_owner = lead.owner
        was_open = lead.status == "assigned"
        for team, credits in decision.credits.items():
            self.credits[team] = credits
            self.touched_teams.add(team)
        if was_open and previous_owner:
            self._load(previous_owner).released()
            self._ledger(previous_owner, lead, "reassigned_away", decision.method, why)
        if decision.owner is not None:
            rep = self.roster.reps[decision.owner]
            self._load(rep.id).assigned(rep, self.now)
            lead.owner, lead.status, lead.queued_at = rep.id, "assigned", None
            lead.assignments += 1
            lead.earlier_owners.add(rep.id)
            entry = "reassigned_to" if previous_owner else "assigned"
            self._ledger(rep.id, lead, entry, decision.method, None)
        else:
            lead.owner, lead.status = None, "queued"
            lead.queued_at = lead.queued_at or self.now
        lead.team = decision.team
        for candidate in decision.candidates:
            if not candidate.eligible and candidate.rep_id != decision.owner:
                self._ledger(
                    candidate.rep_id, lead, "skipped", decision.method, candidate.why, candidate.credited
                )
        reason = f"{why}; rule {decision.rule}: {decision.reason}"
        passed = [PassedOver(rep_id=c.rep_id, why=c.detail) for c in decision.candidates if not c.eligible]
        owner = self.roster.reps.get(decision.owner) if decision.owner else None
        data = LeadQualifiedData(
            owner=decision.owner,
            owner_name=owner.name if owner else None,
            owner_email=owner.email if owner else None,
            reason=reason,
            rule=decision.rule,
            score=lead.score,
            grade=lead.grade,
            assignment=lead.assignments,
            previous_owner=previous_owner,
            passed_over=passed,
            team=decision.team,
            policy_version=self.version,
        )
        if cause is not None:
            event = cause.caused(LeadQualified, producer=PRODUCER, occurred_at=self.now, data=data)
        else:
            event = LeadQualified.new(
                producer=PRODUCER,
                lead_id=lead.lead_id,
                correlation_id=lead.correlation_id or lead.lead_id,
                occurred_at=self.now,
                data=data,
            )
        self.outbox.add(event)
        candidates = [
            {
                "rep_id": c.rep_id,
                "eligible": c.eligible,
                "why": c.why,
                "detail": c.detail,
                "credit_before": c.credit_before,
                "credited": c.credited,
            }
            for c in decision.candidates
        ]
        self.records.append(
            (
                lead.lead_id,
                decision.owner,
                previous_owner,
                decision.rule,
                reason,
                json.dumps([p.model_dump() for p in passed]),
                cause.id if cause else None,
                event.id,
                self.now,
                kind,
                decision.team,
                decision.method,
                self.version,
                json.dumps(candidates),
                decision.tie_break,
                json.dumps(list(decision.steps)),
                decision_us,
                json.dumps(lead.inputs()),
            )
        )

    def _ledger(
        self, rep_id: str, lead: Lead, entry: str, method: str, reason: str | None, credited: bool = False
    ) -> None:
        team = self.roster.team_of(rep_id) or lead.team or ""
        self.ledger.append((team, rep_id, lead.lead_id, entry, method, reason, credited, self.now))

    async def serve_queues(self, teams: Collection[str], limit: int = 100) -> int:
        """Give queued leads of `teams` (already locked) to whoever can take them now, oldest first."""
        if not teams:
            return 0
        rows = await self.conn.fetch(_QUEUED, sorted(teams), limit)
        queued = [Lead.of(row) for row in rows if row["lead_id"] not in self.leads]
        for row in await self.conn.fetch(_EARLIER_OWNERS, [lead.lead_id for lead in queued]):
            next(lead for lead in queued if lead.lead_id == row["lead_id"]).earlier_owners.add(row["owner"])
        served = 0
        for lead in queued:
            self.leads[lead.lead_id] = lead
            served += self.serve_queued(lead)
        return served

    async def write(self) -> None:
        conn = self.conn
        leads = sorted(self.leads.values(), key=lambda lead: lead.lead_id)
        if leads:
            rows = [
                (
                    lead.lead_id,
                    lead.score,
                    lead.grade,
                    lead.qualified,
                    lead.qualification_reason,
                    lead.owner,
                    lead.assignments,
                    lead.status,
                    lead.team,
                    lead.profile.model_dump_json() if lead.profile else None,
                    lead.correlation_id,
                    lead.queued_at,
                    lead.closed_at,
                    self.now,
                )
                for lead in leads
            ]
            await conn.execute(_SAVE_LEADS, *columns(rows))
        if self.records:
            await conn.execute(_RECORD_ASSIGNMENTS, *columns(self.records))
        if self.ledger:
            await conn.execute(_RECORD_LEDGER, *columns(self.ledger))
        await save_rotation(conn, {team: self.credits[team] for team in self.touched_teams})
        await save_loads(conn, self.loads.values())


async def open_batch(
    conn: Connection, outbox: Outbox, now: datetime, parts: RoutingParts, lead_ids: Collection[UUID]
) -> RoutingBatch:
    """The active policy, the roster as it is now, and the leads locked in id order."""
    await parts.ensure_roster(conn)
    batch = RoutingBatch(conn, outbox, now, await parts.policies.active(conn), await load_roster(conn))
    if lead_ids:
        batch.leads = {
            row["lead_id"]: Lead.of(row) for row in await conn.fetch(_LOAD_LEADS, sorted(lead_ids))
        }
    return batch


async def route_leads(
    events: Sequence[LeadScored | LeadSlaBreached | LeadProgressed | LeadRecycled],
    ctx: HandlerContext,
    *,
    parts: RoutingParts,
) -> None:
    conn = ctx.connection
    batch = await open_batch(conn, ctx.outbox, ctx.now, parts, {event.lead_id for event in events})
    leads = batch.leads
    for event in events:  # the leads routing sees for the first time
        leads.setdefault(event.lead_id, Lead(lead_id=event.lead_id))
    breached = sorted({e.lead_id for e in events if isinstance(e, LeadSlaBreached)})
    if breached:
        for row in await conn.fetch(_EARLIER_OWNERS, breached):
            leads[row["lead_id"]].earlier_owners.add(row["owner"])
    scored = [e for e in events if isinstance(e, LeadScored)]
    for event in scored:
        lead = leads[event.lead_id]
        if event.data.lead is not None:
            lead.profile = event.data.lead
        lead.correlation_id = lead.correlation_id or event.correlation_id
    accounts = await match_accounts(
        conn, [(lead.profile.company_domain, lead.profile.company) for lead in leads.values() if lead.profile]
    )
    for lead in leads.values():
        if lead.profile:
            lead.account = accounts.match(
                company_domain=lead.profile.company_domain, company=lead.profile.company
            )
    # Lock every team any event may reach, before any decision reads a team's state.
    teams: set[str] = set()
    for event in events:
        lead = leads[event.lead_id]
        if isinstance(event, LeadScored):
            lead.score, lead.grade = event.data.score, event.data.grade
            teams |= batch.teams_for(lead, batch.fields(lead) | {"qualified": True})
        elif isinstance(event, LeadSlaBreached):
            teams |= batch.teams_within(lead.team or batch.roster.team_of(lead.owner or ""))
        team = batch.roster.team_of(lead.owner) if lead.owner else None
        teams |= {team} if team else set()
    await batch.lock(teams)
    for event in events:
        lead = leads[event.lead_id]
        if isinstance(event, LeadScored):
            _scored(batch, lead, event, parts.config.mql_threshold)
        elif isinstance(event, LeadSlaBreached):
            _breached(batch, lead, event)
        elif isinstance(event, LeadProgressed):
            if event.data.stage in CLOSING_STAGES and lead.status in ("assigned", "queued"):
                batch.release(lead, f"{event.data.stage}")
                lead.status, lead.closed_at, lead.queued_at = "closed", ctx.now, None
        elif lead.status != "recycled":  # LeadRecycled: back to marketing; routable once it re-qualifies
            batch.release(lead, f"recycled: {event.data.reason}")
            lead.status, lead.queued_at, lead.closed_at = "recycled", None, ctx.now
            lead.qualified = False
    # capacity freed in this batch goes to the freed teams' queues at once
    await batch.serve_queues(batch.released_teams & batch.locked)
    await batch.write()


def _scored(batch: RoutingBatch, lead: Lead, event: LeadScored, threshold: int) -> None:
    data = event.data
    decision = qualify(
        score=data.score,
        grade=data.grade,
        level=data.engagement_level,
        qualified=data.qualified,
        model_version=data.model_version,
        threshold=threshold,
    )
    lead.score, lead.grade = data.score, data.grade
    if data.qualified is not None:
        lead.qualified = data.qualified or (lead.qualified and lead.status not in ROUTABLE)
    else:
        lead.qualified = lead.qualified or decision.qualified  # the old bar: once an MQL, it stays one
    lead.qualification_reason = decision.reason
    if decision.qualified and lead.status in ROUTABLE:
        batch.route(lead, event, decision.reason)


def _breached(batch: RoutingBatch, lead: Lead, event: LeadSlaBreached) -> None:
    breach = event.data
    if breach.escalation != "reassign" or lead.owner != breach.owner or lead.status != "assigned":
        # A breach for an owner the lead no longer has was overtaken by an earlier reassignment.
        log.info(
            "sla breach needs no reassignment",
            lead_id=str(lead.lead_id),
            owner=breach.owner,
            current_owner=lead.owner,
        )
        return
    why = (
        f"reassigned: {breach.owner} let the '{breach.policy}' SLA run out "
        f"(due {breach.due_at.isoformat()}, escalation step {breach.escalation_step})"
    )
    batch.reassign(lead, event, why, exclude=lead.earlier_owners | {breach.owner})


_QUEUED_TEAMS = "SELECT DISTINCT team FROM leads WHERE status = 'queued' AND team IS NOT NULL"


async def serve_queues_once(conn: Connection, outbox: Outbox, now: datetime, parts: RoutingParts) -> int:
    """One pass over every team's queue: a rep back from absence or into working hours takes the
    oldest leads it can. Runs on every instance; team locks and SKIP LOCKED keep them apart."""
    teams = [row["team"] for row in await conn.fetch(_QUEUED_TEAMS)]
    if not teams:
        return 0
    batch = await open_batch(conn, outbox, now, parts, ())
    wanted: set[str] = set()
    for team in teams:
        wanted |= batch.teams_within(team)
    await batch.lock(wanted)
    served = await batch.serve_queues(set(teams) & batch.locked)
    await batch.write()
    return served


async def run_queue_worker(deps: Any, *, parts: RoutingParts, poll_seconds: float) -> None:
    async with deps.pool.acquire() as conn:
        await parts.ensure_roster(conn)  # at start-up, so the CLI finds the roster a fresh system ships
    while True:
        async with deps.pooled_transaction() as (conn, outbox):
            served = await serve_queues_once(conn, outbox, deps.clock(), parts)
        if served:
            log.info("queued leads served", served=served)
        await asyncio.sleep(poll_seconds)


class CannotReassign(ValueError):
    pass


async def reassign_by_hand(
    conn: Connection,
    outbox: Outbox,
    now: datetime,
    parts: RoutingParts,
    lead_id: UUID,
    *,
    reason: str,
    to: str | None,
) -> Lead | None:
    """`POST /v1/leads/{id}/reassign`: to the named rep, or to the next eligible rep of the lead's
    team other than its current owner. None when routing has never seen the lead."""
    batch = await open_batch(conn, outbox, now, parts, [lead_id])
    lead = batch.leads.get(lead_id)
    if lead is None:
        return None
    if lead.status not in ("assigned", "queued"):
        raise CannotReassign(f"the lead is {lead.status}: only an open or queued lead can be reassigned")
    if to is not None and (to not in batch.roster.reps or batch.roster.reps[to].deleted):
        raise CannotReassign(f"unknown rep {to!r}")
    if to is not None and to == lead.owner:
        raise CannotReassign(f"{to} already owns the lead")
    team = lead.team or batch.roster.team_of(lead.owner or "") or batch.policy.fallback.team
    teams = batch.teams_within(team)
    for rep in (to, lead.owner):
        found = batch.roster.team_of(rep) if rep else None
        teams |= {found} if found else set()
    await batch.lock(teams)
    why = f"reassigned by hand: {reason}"
    if to is not None:
        batch.assign_to(lead, to, why)
    else:
        batch.reassign(lead, None, why, exclude={lead.owner} if lead.owner else set(), kind="manual")
    await batch.write()
    return lead
