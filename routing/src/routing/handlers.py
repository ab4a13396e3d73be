"""routing's use cases: qualify scored leads and assign an owner; reassign after an SLA breach.

Set-based: one handler takes a poll's lead.scored and lead.sla_breached events together, in
order. The leads are read (and locked) in one statement, the round-robin cursor is locked once
when someone needs an owner, and leads, assignments and the cursor are written in one statement
each.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog

from lead_schemas import Envelope, LeadQualified, LeadQualifiedData, LeadScored, LeadSlaBreached, PassedOver
from leadkit.consumer import HandlerContext
from leadkit.db import Connection, columns
from routing.domain.assign import Assignment, NoEligibleRep, round_robin
from routing.domain.config import RoutingConfig
from routing.domain.qualify import qualify

PRODUCER = "routing"
POOL = "default"
log = structlog.get_logger(__name__)

_LOAD_LEADS = """
SELECT lead_id, score, grade, qualified, qualification_reason, owner, assignments FROM leads
WHERE lead_id = ANY($1::uuid[]) ORDER BY lead_id FOR UPDATE
"""
_EARLIER_OWNERS = """
SELECT DISTINCT lead_id, owner FROM assignments WHERE lead_id = ANY($1::uuid[]) AND owner IS NOT NULL
"""
# creates the pool's cursor on first use, and locks it: turns stay fair across instances
_LOCK_CURSOR = """
INSERT INTO round_robin_cursors (pool, position) VALUES ($1, -1)
ON CONFLICT (pool) DO UPDATE SET position = round_robin_cursors.position
RETURNING position
"""
_MOVE_CURSOR = "UPDATE round_robin_cursors SET position = $2 WHERE pool = $1"
_SAVE_LEADS = """
INSERT INTO leads (lead_id, score, grade, qualified, qualification_reason, owner, assignments, updated_at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bool[], $5::text[], $6::text[], $7::int[],
                     $8::timestamptz[])
ON CONFLICT (lead_id) DO UPDATE SET
    score = excluded.score, grade = excluded.grade, qualified = excluded.qualified,
    qualification_reason = excluded.qualification_reason, owner = excluded.owner,
    assignments = excluded.assignments, updated_at = excluded.updated_at
"""
_RECORD_ASSIGNMENTS = """
INSERT INTO assignments (lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id,
                         event_id, assigned_at)
SELECT lead_id, owner, previous_owner, rule, reason, passed_over::jsonb, cause_event_id, event_id,
       assigned_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[],
            $8::uuid[], $9::timestamptz[])
    AS u(lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id, event_id, assigned_at)
"""


@dataclass
class _Lead:
    lead_id: UUID
    score: int = 0
    grade: str = ""
    qualified: bool = False
    qualification_reason: str = ""
    owner: str | None = None
    assignments: int = 0
    earlier_owners: set[str] = field(default_factory=set)


@dataclass
class _Batch:
    """What one poll decides, written at the end."""

    ctx: HandlerContext
    config: RoutingConfig
    leads: dict[UUID, _Lead]
    cursor: int | None = None  # locked and read when the first lead needs an owner
    cursor_moved: bool = False
    assignments: list[tuple[Any, ...]] = field(default_factory=list)

    async def assign(self, lead: _Lead, *, cause: Envelope, exclude: Collection[str], why: str) -> None:
        if self.cursor is None:
            self.cursor = await self.ctx.connection.fetchval(_LOCK_CURSOR, POOL)
        assert self.cursor is not None
        reps = self.config.reps
        assignment: Assignment
        try:
            assignment = round_robin(reps, cursor=self.cursor, exclude=exclude)
        except NoEligibleRep as first_failure:
            # Everyone has had the lead: let anyone but the current owner take it again.
            try:
                assignment = round_robin(
                    reps, cursor=self.cursor, exclude={lead.owner} if lead.owner else set()
                )
            except NoEligibleRep:
                passed = [{"rep_id": r, "why": w} for r, w in first_failure.passed_over]
                self._record(lead, None, "round_robin", f"{why}; no rep could take it", passed, cause, None)
                log.warning(
                    "no eligible rep", lead_id=str(lead.lead_id), passed_over=first_failure.passed_over
                )
                return
        self.cursor, self.cursor_moved = assignment.next_cursor, True
        previous_owner = lead.owner
        lead.owner = assignment.rep.id
        lead.assignments += 1
        lead.earlier_owners.add(assignment.rep.id)
        reason = f"{why}; {assignment.rep.name} is next in the round robin"
        passed_over = [PassedOver(rep_id=rep_id, why=reason_) for rep_id, reason_ in assignment.passed_over]
        qualified = cause.caused(
            LeadQualified,
            producer=PRODUCER,
            occurred_at=self.ctx.now,
            data=LeadQualifiedData(
                owner=assignment.rep.id,
                owner_name=assignment.rep.name,
                owner_email=assignment.rep.email,
                reason=reason,
                rule=assignment.rule,
                score=lead.score,
                grade=lead.grade,
                assignment=lead.assignments,
                previous_owner=previous_owner,
                passed_over=passed_over,
            ),
        )
        self._record(
            lead,
            previous_owner,
            assignment.rule,
            reason,
            [p.model_dump() for p in passed_over],
            cause,
            qualified.id,
            owner=assignment.rep.id,
        )
        self.ctx.outbox.add(qualified)

    def _record(
        self,
        lead: _Lead,
        previous_owner: str | None,
        rule: str,
        reason: str,
        passed_over: list[dict[str, Any]],
        cause: Envelope,
        event_id: UUID | None,
        *,
        owner: str | None = None,
    ) -> None:
        self.assignments.append(
            (lead.lead_id, owner, previous_owner, rule, reason, json.dumps(passed_over), cause.id, event_id)
        )

    async def write(self, now: datetime) -> None:
        conn: Connection = self.ctx.connection
        leads = sorted(self.leads.values(), key=lambda lead: lead.lead_id)
        if leads:
            await conn.execute(
                _SAVE_LEADS,
                *columns(
                    [
                        (
                            lead.lead_id,
                            lead.score,
                            lead.grade,
                            lead.qualified,
                            lead.qualification_reason,
                            lead.owner,
                            lead.assignments,
                            now,
                        )
                        for lead in leads
                    ]
                ),
            )
        if self.assignments:
            await conn.execute(_RECORD_ASSIGNMENTS, *columns([(*row, now) for row in self.assignments]))
        if self.cursor_moved:
            await conn.execute(_MOVE_CURSOR, POOL, self.cursor)


async def route_leads(
    events: Sequence[LeadScored | LeadSlaBreached], ctx: HandlerContext, *, config: RoutingConfig
) -> None:
    conn = ctx.connection
    lead_ids = sorted({event.lead_id for event in events})
    leads = {row["lead_id"]: _Lead(**dict(row)) for row in await conn.fetch(_LOAD_LEADS, lead_ids)}
    breached = sorted({e.lead_id for e in events if isinstance(e, LeadSlaBreached) and e.lead_id in leads})
    if breached:
        for row in await conn.fetch(_EARLIER_OWNERS, breached):
            leads[row["lead_id"]].earlier_owners.add(row["owner"])
    batch = _Batch(ctx=ctx, config=config, leads=leads)
    for event in events:
        if isinstance(event, LeadScored):
            await _route_scored(batch, event)
        else:
            await _reassign_after_breach(batch, event)
    await batch.write(ctx.now)


async def _route_scored(batch: _Batch, event: LeadScored) -> None:
    data = event.data
    decision = qualify(
        score=data.score,
        grade=data.grade,
        level=data.engagement_level,
        qualified=data.qualified,
        model_version=data.model_version,
        threshold=batch.config.mql_threshold,
    )
    lead = batch.leads.setdefault(event.lead_id, _Lead(lead_id=event.lead_id))
    lead.score, lead.grade = data.score, data.grade
    lead.qualified = lead.qualified or decision.qualified  # once an MQL, a lower score does not undo it
    lead.qualification_reason = decision.reason
    if decision.qualified and lead.owner is None:
        await batch.assign(lead, cause=event, exclude=(), why=decision.reason)


async def _reassign_after_breach(batch: _Batch, event: LeadSlaBreached) -> None:
    breach = event.data
    lead = batch.leads.get(event.lead_id)
    if lead is None or breach.escalation != "reassign" or lead.owner != breach.owner:
        # A breach for an owner the lead no longer has was overtaken by an earlier reassignment.
        log.info(
            "sla breach needs no reassignment",
            lead_id=str(event.lead_id),
            owner=breach.owner,
            current_owner=lead and lead.owner,
        )
        return
    why = (
        f"reassigned: {breach.owner} let the '{breach.policy}' SLA run out "
        f"(due {breach.due_at.isoformat()}, escalation step {breach.escalation_step})"
    )
    await batch.assign(lead, cause=event, exclude=lead.earlier_owners | {breach.owner}, why=why)
