"""sla-monitor's use cases: start clocks on assignment, record sales' progress, fire due timers.

Lock order, everywhere: a lead's row first, then its timers. A progress report, a new assignment
and the timer worker can then never wait on each other in a cycle (a deadlock, and a 500).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lead_schemas import (
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadRecycled,
    LeadRecycledData,
    LeadSlaBreached,
    LeadSlaBreachedData,
    LeadSlaWarned,
    LeadSlaWarnedData,
)
from leadkit.consumer import HandlerContext
from leadkit.db import columns
from leadkit.messaging import Outbox
from sla_monitor.calendars import calendars_for
from sla_monitor.db.tables import ProgressReport, SalesLead, SlaTimer
from sla_monitor.domain.progress import effect_of
from sla_monitor.domain.sla_clock import SlaPolicy, due_at, escalation_for, warn_at
from sla_monitor.domain.stages import ImpossibleStep, Step, transition

PRODUCER = "sla-monitor"


class UnknownLead(LookupError):
    pass


_SAVE_LEADS = """
INSERT INTO leads (lead_id, owner, correlation_id, qualified_event_id, updated_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::timestamptz[])
ON CONFLICT (lead_id) DO UPDATE SET
    owner = excluded.owner, qualified_event_id = excluded.qualified_event_id,
    updated_at = excluded.updated_at,
    -- qualified again after marketing's nurture: a new run with sales (a won lead stays won)
    stage = CASE WHEN leads.stage IN ('rejected', 'lost', 'recycled') THEN NULL ELSE leads.stage END
"""
_CANCEL_PENDING = """
UPDATE timers SET status = 'cancelled', closed_at = $3,
    closed_reason = coalesce('reassigned to ' || u.owner, 'moved to its team''s queue')
FROM unnest($1::uuid[], $2::text[]) AS u(lead_id, owner)
WHERE timers.lead_id = u.lead_id AND timers.status = 'pending'
"""
_START_TIMERS = """
INSERT INTO timers (lead_id, policy, escalation, escalation_step, owner, started_at, due_at, status,
                    cause_event_id, closed_at, closed_reason, calendar)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],
                     $7::timestamptz[], $8::text[], $9::uuid[], $10::timestamptz[], $11::text[], $12::text[])
"""


async def start_accept_clocks(
    events: Sequence[LeadQualified], ctx: HandlerContext, *, policy: SlaPolicy, max_reassignments: int
) -> None:
    """(Re)assigned leads: each new owner's accept clock starts; the old owner's stops. A lead that
    waits in its team's queue (`owner` null) has no clock until routing assigns it.

    Set-based, in the lock order: the leads' rows (in lead order), then their timers. A lead
    assigned twice within one poll keeps only its last owner's clock running."""
    conn = ctx.connection
    latest = {event.lead_id: event for event in events}
    leads = sorted(latest)
    await conn.execute(
        _SAVE_LEADS,
        leads,
        [latest[lead].data.owner for lead in leads],
        [latest[lead].correlation_id for lead in leads],
        [latest[lead].id for lead in leads],
        [ctx.now] * len(leads),
    )
    await conn.execute(_CANCEL_PENDING, leads, [latest[lead].data.owner for lead in leads], ctx.now)
    calendars = await calendars_for(conn, {e.data.team for e in events if e.data.team and e.data.owner})
    timers = []
    for index, event in enumerate(events):
        if event.data.owner is None:
            continue
        running = latest[event.lead_id] is event
        successor = None if running else next(e for e in events[index + 1 :] if e.lead_id == event.lead_id)
        timers.append(
            (
                event.lead_id,
                policy.name,
                escalation_for(assignment=event.data.assignment, max_reassignments=max_reassignments),
                event.data.assignment,
                event.data.owner,
                event.occurred_at,
                due_at(policy, event.occurred_at, calendars.get(event.data.team or "")),
                "pending" if running else "cancelled",
                event.id,
                None if running else ctx.now,
                None if successor is None else f"reassigned to {successor.data.owner or 'its team queue'}",
                event.data.team if event.data.team in calendars else None,
            )
        )
        warning = warn_at(policy, event.occurred_at, calendars.get(event.data.team or ""))
        if running and warning is not None:
            timers.append(
                (
                    event.lead_id,
                    policy.name,
                    "warn",
                    event.data.assignment,
                    event.data.owner,
                    event.occurred_at,
                    warning,
                    "pending",
                    event.id,
                    None,
                    None,
                    event.data.team if event.data.team in calendars else None,
                )
            )
    if timers:
        await conn.execute(_START_TIMERS, *columns(timers))


async def report_progress(
    lead_id: UUID, report: Step, *, session: AsyncSession, outbox: Outbox, now: datetime
) -> tuple[LeadProgressed, LeadRecycled | None]:
    """One sales step. ImpossibleStep when the stage order forbids it and it is not forced."""
    lead = await session.get(SalesLead, lead_id, with_for_update=True)
    if lead is None:
        raise UnknownLead(lead_id)
    move = transition(lead.stage, report.stage)
    if not move.allowed and not report.force:
        raise ImpossibleStep(report.stage, move)
    effect = effect_of(report.stage, report.reason)
    if effect.cancels_timers:
        await _close_timers(session, lead_id, status="cancelled", now=now, why=f"lead {report.stage}")
    elif effect.closes_accept_timer:
        await _close_timers(
            session, lead_id, status="met", now=now, why=f"owner reported {report.stage}", policy="accept"
        )
    lead.stage = report.stage
    lead.updated_at = now
    forced = not move.allowed
    progressed = LeadProgressed.new(
        producer=PRODUCER,
        lead_id=lead_id,
        correlation_id=lead.correlation_id,
        causation_id=lead.qualified_event_id,
        occurred_at=report.occurred_at or now,
        data=LeadProgressedData(
            stage=report.stage,
            owner=lead.owner,
            amount=report.amount,
            currency=report.currency,
            reason=report.reason,
            detail=report.detail,
            channel=report.channel,
            forced=forced,
        ),
    )
    session.add(
        ProgressReport(
            lead_id=lead_id,
            stage=report.stage,
            previous_stage=move.current,
            owner=lead.owner,
            amount=report.amount,
            currency=report.currency,
            reason=report.reason,
            detail=report.detail,
            channel=report.channel,
            forced=forced,
            occurred_at=report.occurred_at or now,
            event_id=progressed.id,
            reported_at=now,
        )
    )
    outbox.add(progressed)
    recycled = None
    if effect.recycle_reason is not None:
        recycled = progressed.caused(
            LeadRecycled,
            producer=PRODUCER,
            occurred_at=now,
            data=LeadRecycledData(
                reason=effect.recycle_reason,
                detail=" — ".join(part for part in (report.reason, report.detail) if part) or None,
                owner=lead.owner,
            ),
        )
        outbox.add(recycled)
    return progressed, recycled


async def fire_due_timers(
    *, session: AsyncSession, outbox: Outbox, now: datetime, limit: int = 100, warn_share: float = 0.0
) -> int:
    """Breach every pending timer that is due; several instances share the work.

    The leads with due timers are locked first (SKIP LOCKED: a lead that a progress report or
    another instance holds is left for the next round), then their due timers, re-read under
    the lock: a report that committed meanwhile has already closed them."""
    due_leads = (
        select(SlaTimer.lead_id)
        .where(SlaTimer.status == "pending", SlaTimer.due_at <= now)
        .order_by(SlaTimer.due_at)
        .limit(limit)
    )
    leads = {
        lead.lead_id: lead
        for lead in await session.scalars(
            select(SalesLead)
            .where(SalesLead.lead_id.in_(due_leads.scalar_subquery()))
            .order_by(SalesLead.lead_id)
            .with_for_update(skip_locked=True)
        )
    }
    if not leads:
        return 0
    due = (
        await session.scalars(
            select(SlaTimer)
            .where(SlaTimer.lead_id.in_(leads), SlaTimer.status == "pending", SlaTimer.due_at <= now)
            .order_by(SlaTimer.due_at)
            .with_for_update()
        )
    ).all()
    clocks = await _clocks_warned(session, [t for t in due if t.escalation == "warn"])
    for timer in due:
        lead = leads[timer.lead_id]
        if timer.escalation == "warn":
            _warn(timer, lead, clocks.get((timer.lead_id, timer.policy)), warn_share, outbox=outbox, now=now)
            continue
        timer.status = "breached"
        timer.closed_at = now
        timer.closed_reason = f"not met by {timer.due_at.isoformat()}; escalation: {timer.escalation}"
        breached = LeadSlaBreached.new(
            producer=PRODUCER,
            lead_id=timer.lead_id,
            correlation_id=lead.correlation_id,
            causation_id=timer.cause_event_id,
            occurred_at=now,
            data=LeadSlaBreachedData(
                policy=timer.policy,
                owner=timer.owner,
                started_at=timer.started_at,
                due_at=timer.due_at,
                escalation_step=timer.escalation_step,
                escalation=timer.escalation,
            ),
        )
        outbox.add(breached)
        if timer.escalation == "recycle":
            lead.stage = "recycled"
            outbox.add(
                breached.caused(
                    LeadRecycled,
                    producer=PRODUCER,
                    occurred_at=now,
                    data=LeadRecycledData(
                        reason="sla_exhausted",
                        detail=(
                            f"'{timer.policy}' SLA breached after {timer.escalation_step - 1} reassignment(s)"
                        ),
                        owner=timer.owner,
                    ),
                )
            )
    return len(due)


async def _clocks_warned(session: AsyncSession, warnings: list[SlaTimer]) -> dict[tuple[UUID, str], SlaTimer]:
    """The running clock each warning belongs to (same lead and policy), for its due time."""
    if not warnings:
        return {}
    clocks = await session.scalars(
        select(SlaTimer).where(
            SlaTimer.lead_id.in_({w.lead_id for w in warnings}),
            SlaTimer.status == "pending",
            SlaTimer.escalation != "warn",
        )
    )
    return {(clock.lead_id, clock.policy): clock for clock in clocks}


def _warn(
    timer: SlaTimer, lead: SalesLead, clock: SlaTimer | None, share: float, *, outbox: Outbox, now: datetime
) -> None:
    timer.status, timer.closed_at = "warned", now
    if clock is None:  # the clock was met or moved in the same instant: nothing to warn about
        timer.closed_reason = "its clock had closed"
        return
    timer.closed_reason = f"warned: due {clock.due_at.isoformat()}"
    outbox.add(
        LeadSlaWarned.new(
            producer=PRODUCER,
            lead_id=timer.lead_id,
            correlation_id=lead.correlation_id,
            causation_id=timer.cause_event_id,
            occurred_at=now,
            data=LeadSlaWarnedData(
                policy=timer.policy,
                owner=timer.owner,
                started_at=clock.started_at,
                due_at=clock.due_at,
                share=share,
            ),
        )
    )


async def _close_timers(
    session: AsyncSession, lead_id: UUID, *, status: str, now: datetime, why: str, policy: str | None = None
) -> None:
    stmt = update(SlaTimer).where(SlaTimer.lead_id == lead_id, SlaTimer.status == "pending")
    if policy is not None:
        stmt = stmt.where(SlaTimer.policy == policy)
    await session.execute(stmt.values(status=status, closed_at=now, closed_reason=why))
