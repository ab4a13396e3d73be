"""routing's use cases: qualify scored leads and assign an owner; reassign after an SLA breach."""

from __future__ import annotations

from collections.abc import Collection

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from lead_schemas import Envelope, LeadQualified, LeadQualifiedData, LeadScored, LeadSlaBreached, PassedOver
from leadkit.consumer import HandlerContext
from routing.db.tables import AssignmentRecord, RoundRobinCursor, RoutedLead
from routing.domain.assign import Assignment, NoEligibleRep, round_robin
from routing.domain.config import RoutingConfig
from routing.domain.qualify import qualify

PRODUCER = "routing"
POOL = "default"
log = structlog.get_logger(__name__)


async def route_scored_lead(event: LeadScored, ctx: HandlerContext, *, config: RoutingConfig) -> None:
    data = event.data
    decision = qualify(score=data.score, grade=data.grade, threshold=config.mql_threshold)
    lead = await ctx.session.get(RoutedLead, event.lead_id, with_for_update=True)
    if lead is None:
        lead = RoutedLead(lead_id=event.lead_id, owner=None, assignments=0)
        ctx.session.add(lead)
    lead.score, lead.grade = data.score, data.grade
    lead.qualified = lead.qualified or decision.qualified  # once an MQL, a lower score does not undo it
    lead.qualification_reason = decision.reason
    lead.updated_at = ctx.now
    if decision.qualified and lead.owner is None:
        await _assign(ctx, lead, cause=event, config=config, exclude=(), why=decision.reason)


async def reassign_after_breach(
    event: LeadSlaBreached, ctx: HandlerContext, *, config: RoutingConfig
) -> None:
    breach = event.data
    lead = await ctx.session.get(RoutedLead, event.lead_id, with_for_update=True)
    if lead is None or breach.escalation != "reassign" or lead.owner != breach.owner:
        # A breach for an owner the lead no longer has was overtaken by an earlier reassignment.
        log.info("sla breach needs no reassignment", owner=breach.owner, current_owner=lead and lead.owner)
        return
    earlier = {
        owner
        for owner in await ctx.session.scalars(
            select(AssignmentRecord.owner).where(AssignmentRecord.lead_id == event.lead_id)
        )
        if owner is not None
    }
    why = (
        f"reassigned: {breach.owner} let the '{breach.policy}' SLA run out "
        f"(due {breach.due_at.isoformat()}, escalation step {breach.escalation_step})"
    )
    await _assign(ctx, lead, cause=event, config=config, exclude=earlier | {breach.owner}, why=why)


async def _assign(
    ctx: HandlerContext,
    lead: RoutedLead,
    *,
    cause: Envelope,
    config: RoutingConfig,
    exclude: Collection[str],
    why: str,
) -> None:
    cursor = await _lock_cursor(ctx)
    assignment: Assignment | None = None
    try:
        assignment = round_robin(config.reps, cursor=cursor.position, exclude=exclude)
    except NoEligibleRep as first_failure:
        # Everyone has had the lead: let anyone but the current owner take it again.
        try:
            assignment = round_robin(
                config.reps, cursor=cursor.position, exclude={lead.owner} if lead.owner else set()
            )
        except NoEligibleRep:
            ctx.session.add(
                AssignmentRecord(
                    lead_id=lead.lead_id,
                    owner=None,
                    previous_owner=lead.owner,
                    rule="round_robin",
                    reason=f"{why}; no rep could take it",
                    passed_over=[{"rep_id": r, "why": w} for r, w in first_failure.passed_over],
                    cause_event_id=cause.id,
                    event_id=None,
                    assigned_at=ctx.now,
                )
            )
            log.warning("no eligible rep", passed_over=first_failure.passed_over)
            return
    cursor.position = assignment.next_cursor
    previous_owner = lead.owner
    lead.owner = assignment.rep.id
    lead.assignments += 1
    reason = f"{why}; {assignment.rep.name} is next in the round robin"
    passed_over = [PassedOver(rep_id=rep_id, why=reason_) for rep_id, reason_ in assignment.passed_over]
    qualified = cause.caused(
        LeadQualified,
        producer=PRODUCER,
        occurred_at=ctx.now,
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
    ctx.session.add(
        AssignmentRecord(
            lead_id=lead.lead_id,
            owner=assignment.rep.id,
            previous_owner=previous_owner,
            rule=assignment.rule,
            reason=reason,
            passed_over=[p.model_dump() for p in passed_over],
            cause_event_id=cause.id,
            event_id=qualified.id,
            assigned_at=ctx.now,
        )
    )
    await ctx.outbox.add(qualified)


async def _lock_cursor(ctx: HandlerContext) -> RoundRobinCursor:
    await ctx.session.execute(
        insert(RoundRobinCursor)
        .values(pool=POOL, position=-1)
        .on_conflict_do_nothing(index_elements=["pool"])
    )
    cursor = await ctx.session.get(RoundRobinCursor, POOL, with_for_update=True, populate_existing=True)
    assert cursor is not None
    return cursor
