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

from collections.abc import Sequence
from uuid import UUID

from lead_schemas import (
    LeadErased,
    LeadProgressed,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
)
from lead_schemas.privacy import impersonal_profile
from leadkit.consumer import HandlerContext
from leadkit.erasure import erased_among, record_erased
from routing.batch import RoutingBatch, log, open_batch
from routing.db.erasure import forget_people
from routing.db.leads import add_earlier_owners
from routing.db.roster import (
    match_accounts,
)
from routing.domain.lead import Lead
from routing.domain.qualify import Qualification, qualify
from routing.parts import RoutingParts

CLOSING_STAGES = frozenset({"won", "lost", "rejected"})
ROUTABLE = frozenset({"new", "recycled"})  # a lead with an open owner or in a queue keeps it


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
    breached = {e.lead_id for e in events if isinstance(e, LeadSlaBreached)}
    await add_earlier_owners(conn, [leads[lead_id] for lead_id in sorted(breached)])
    scored = [e for e in events if isinstance(e, LeadScored)]
    erased = await erased_among(conn, {e.lead_id for e in scored})  # a late or replayed lead.scored
    for event in scored:
        lead = leads[event.lead_id]
        if event.data.lead is not None:
            lead.profile = impersonal_profile(event.data.lead) if event.lead_id in erased else event.data.lead
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
    # Only events that may assign or release lock anything: a poll of leads that do not qualify
    # takes no team lock, so it never waits for another instance.
    recycled = {event.lead_id for event in events if isinstance(event, LeadRecycled)}
    for event in events:
        lead = leads[event.lead_id]
        if isinstance(event, LeadScored):
            lead.score, lead.grade = event.data.score, event.data.grade
            if _may_route(lead, event, parts.config.mql_threshold, recycled):
                batch.plan.first_routing(lead)
        elif isinstance(event, LeadSlaBreached):
            batch.plan.reassignment(lead)
        elif not isinstance(event, LeadProgressed) or event.data.stage in CLOSING_STAGES:
            batch.plan.release(lead)
    await batch.lock_planned()
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


def _may_route(lead: Lead, event: LeadScored, threshold: int, recycled: set[UUID]) -> bool:
    """Whether `_scored` may route the lead: it qualifies and is (or may become) without an owner."""
    return _qualification(event, threshold).qualified and (
        lead.status in ROUTABLE or lead.lead_id in recycled
    )


def _qualification(event: LeadScored, threshold: int) -> Qualification:
    data = event.data
    return qualify(
        score=data.score,
        grade=data.grade,
        level=data.engagement_level,
        qualified=data.qualified,
        model_version=data.model_version,
        threshold=threshold,
    )


def _scored(batch: RoutingBatch, lead: Lead, event: LeadScored, threshold: int) -> None:
    data = event.data
    decision = _qualification(event, threshold)
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


async def forget_erased(events: Sequence[LeadErased], ctx: HandlerContext) -> None:
    """`lead.erased`: the person's details leave routing's rows (db/erasure.py); a tombstone keeps
    a late `lead.scored` from storing them again (`route_leads` strips the profile of an erased
    lead)."""
    lead_ids = sorted({event.lead_id for event in events})
    await record_erased(ctx.connection, lead_ids, ctx.now)
    await forget_people(ctx.connection, lead_ids)
