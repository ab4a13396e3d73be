"""sla-monitor's event handlers, set-based: every lead capture knows (lead.captured), assignments
that start the accept clock (lead.qualified), and erasure (lead.erased). Lock order: db/leads.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from uuid import UUID

from email_validator import EmailNotValidError, validate_email

from lead_schemas import LeadCaptured, LeadErased, LeadQualified
from leadkit.consumer import HandlerContext
from leadkit.erasure import erased_among, record_erased
from sla_monitor.db import breaches
from sla_monitor.db import leads as lead_rows
from sla_monitor.db import timers as timer_rows
from sla_monitor.db.calendars import lead_clocks
from sla_monitor.domain.timers import TimerRows
from sla_monitor.parts import SlaParts

# a lead comes to sales anew (an MQL delivered) the first time, and again after sales let it go
_NEW_RUN_STAGES = frozenset({"rejected", "lost", "recycled"})


def email_hash(email: str) -> str | None:
    """The hash imports match by: of the address as capture normalizes it; None when not an email."""
    try:
        normalized = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None
    return hashlib.sha256(normalized.encode()).hexdigest()


def tier_facts(event: LeadQualified) -> dict[str, str | int | None]:
    """What lead.qualified carries that an SLA tier's `when` may test."""
    data = event.data
    return {
        "team": data.team,
        "grade": data.grade,
        "score": data.score,
        "source": data.source,
        "region": data.region,
        "country": data.country,
    }


async def know_captured_leads(events: Sequence[LeadCaptured], ctx: HandlerContext) -> None:
    """Every captured lead, so sales may report outcomes for leads that never qualified, and no
    step is dated before its lead was captured. Only a hash of the email is kept, and none of a
    person erased (a late or replayed capture)."""
    rows = {}
    erased = await erased_among(ctx.connection, {event.lead_id for event in events})
    for event in events:
        email = event.data.person.email if event.lead_id not in erased else None
        rows[event.lead_id] = (
            event.lead_id,
            event.correlation_id,
            event.data.first_touch.occurred_at if event.data.first_touch else event.data.touch.occurred_at,
            email_hash(email) if email else None,
            ctx.now,
        )
    ordered = [rows[lead] for lead in sorted(rows)]
    await lead_rows.know_leads(ctx.connection, ordered)


async def forget_erased(events: Sequence[LeadErased], ctx: HandlerContext) -> None:
    """An erased person can no longer be found by email; their steps and clocks stay, anonymous
    (sales' and managers' free text about them goes); a tombstone keeps a late capture from
    bringing the hash back."""
    lead_ids = sorted({e.lead_id for e in events})
    await record_erased(ctx.connection, lead_ids, ctx.now)
    await lead_rows.forget_people(ctx.connection, lead_ids)
    await breaches.forget_notes(ctx.connection, lead_ids)


async def start_accept_clocks(
    events: Sequence[LeadQualified], ctx: HandlerContext, *, parts: SlaParts
) -> None:
    """(Re)assigned leads: the active SLA policy picks each lead's tier; the new owner's accept
    clock starts, on the tier's calendar, and the old owner's clocks stop. A lead that waits in
    its team's queue (`owner` null) has no clock until routing assigns it. A lead assigned twice
    within one poll keeps only its last owner's clock running."""
    conn = ctx.connection
    version, policy = await parts.policies.active(conn)
    latest = {event.lead_id: event for event in events}
    leads = sorted(latest)
    before = await lead_rows.lock_assignments(conn, leads)
    facts = {lead: tier_facts(event) for lead, event in latest.items()}
    tiers = {lead: policy.tier_for(facts[lead]) for lead in leads}
    await lead_rows.save_assignments(
        conn,
        [
            (
                lead,
                e.data.owner,
                e.correlation_id,
                e.id,
                e.data.team,
                tiers[lead].name,
                version,
                e.occurred_at,
                e.data.assignment,
                json.dumps(facts[lead]),
                ctx.now,
            )
            for lead in leads
            for e in (latest[lead],)
        ],
    )
    # Only a lead qualified before can have clocks running: a first assignment (nearly every
    # event) has none to stop, and skipping it keeps the statement off the hot path.
    reassigned = [lead for lead in leads if lead in before and before[lead].qualified_event_id is not None]
    await timer_rows.cancel_for_new_owners(
        conn, reassigned, [latest[lead].data.owner for lead in reassigned], ctx.now
    )
    new_runs = [
        latest[lead]
        for lead in leads
        if lead not in before
        or before[lead].qualified_event_id is None
        or before[lead].stage in _NEW_RUN_STAGES
    ]
    await lead_rows.record_mqls(
        conn, [(e.lead_id, e.occurred_at, e.data.team, e.data.region, e.data.source) for e in new_runs]
    )
    successor: dict[int, LeadQualified] = {}  # an event's next one for the same lead, in this poll
    following: dict[UUID, LeadQualified] = {}
    for index in range(len(events) - 1, -1, -1):
        if events[index].lead_id in following:
            successor[index] = following[events[index].lead_id]
        following[events[index].lead_id] = events[index]
    assigned = [(index, event) for index, event in enumerate(events) if event.data.owner is not None]
    on = await lead_clocks(conn, [(tiers[e.lead_id], version, e.data.team) for _, e in assigned])
    timers = TimerRows()
    for (index, event), clocks in zip(assigned, on, strict=True):
        owner = event.data.owner
        assert owner is not None
        later = successor.get(index)
        timers.start(
            event.lead_id,
            "accept",
            clocks,
            owner=owner,
            started_at=event.occurred_at,
            assignment=event.data.assignment,
            cause=event.id,
            superseded_by=None if later is None else f"reassigned to {later.data.owner or 'its team queue'}",
            now=ctx.now,
        )
    await timer_rows.start_timers(conn, timers)
    parts.started(timers)
