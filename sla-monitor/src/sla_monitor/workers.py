"""The timer worker: fire what is due; while there was work, look again at once, else rest until
the next timer is due (`leadkit.next_due`). A lead whose timers fail to fire is quarantined
(`leadkit.quarantine`) and the rest fire.

The sweep runs on any number of instances: the leads with due timers are locked first (SKIP
LOCKED: a lead that a progress report or another instance holds is left to the next round), then
their due timers are read under the lock — a report that committed meanwhile has already closed
them — so each due timer fires exactly once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from lead_schemas import (
    LeadRecycled,
    LeadRecycledData,
    LeadSlaBreached,
    LeadSlaBreachedData,
    LeadSlaWarned,
    LeadSlaWarnedData,
)
from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from leadkit.quarantine import Quarantine, guarded_round
from leadkit.service import Deps, parts_of
from sla_monitor.db import timers
from sla_monitor.domain.timers import ClaimedLead, DueTimer, RunningClock
from sla_monitor.metrics import FIRE_LATENESS, TIMERS_FIRED
from sla_monitor.parts import SlaParts

PRODUCER = "sla-monitor"

TIMERS = Quarantine("sla-monitor", "sla-timers")


async def fire_round(
    pool: Pool, parts: SlaParts, *, now: datetime, notify: bool, on_outbox: Callable[[], None] = lambda: None
) -> int | None:
    """One round of the sweep; the timers fired (None: the round was worked lead by lead)."""
    return await guarded_round(
        pool,
        TIMERS,
        work=lambda conn, outbox, skip: fire_due_timers(conn, parts=parts, outbox=outbox, now=now, skip=skip),
        pending=lambda conn, skip: timers.pending_leads(conn, now=now, skip=skip),
        one=lambda conn, outbox, lead: fire_due_timers(
            conn, parts=parts, outbox=outbox, now=now, only=[UUID(lead)]
        ),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_timer_worker(deps: Deps) -> None:
    """Fire what is due; while there was work look again at once, else rest until the next timer
    is due (`leadkit.next_due`: new clocks of this instance wake it sooner)."""
    parts = parts_of(deps, SlaParts)
    while True:
        started = deps.clock()
        fired = await fire_round(
            deps.pool, parts, now=started, notify=deps.notify_relay, on_outbox=deps.outbox_written
        )
        parts.timers_due.looked(round_started=started)
        if fired:
            continue
        async with deps.pool.acquire() as conn:
            upcoming = await timers.next_due(conn, await TIMERS.items(conn))
        await parts.timers_due.rest(clock=deps.clock, next_due=upcoming)


async def fire_due_timers(
    conn: Connection,
    *,
    parts: SlaParts,
    outbox: Outbox,
    now: datetime,
    limit: int = 1000,
    skip: Sequence[str] = (),
    only: Sequence[UUID] | None = None,
) -> int:
    """Fire up to `limit` leads' due timers, passing over the quarantined leads in `skip` (or of
    `only` these leads); how many timers fired (0: nothing was due)."""
    leads = await timers.claim_due_leads(conn, now=now, limit=limit, skip=skip, only=only)
    if not leads:
        return 0
    due = await timers.due_timers(conn, leads, now)
    clocks = await timers.running_clocks(conn, {t.lead_id for t in due if t.is_warning}, now)
    closed: list[tuple[int, str, str, Decimal | None]] = []
    recycled: list[UUID] = []
    for timer in due:
        lead = leads[timer.lead_id]
        if timer.is_warning:
            clock = clocks.get((timer.lead_id, timer.clock))
            if clock is None:  # met, moved or breached in the same instant: nothing to warn about
                closed.append((timer.id, "cancelled", "its clock had closed", None))
                continue
            closed.append((timer.id, "warned", f"warned: due {clock.due_at.isoformat()}", None))
            outbox.add(_warned(timer, lead, clock, now))
            continue
        reason = f"not met by {timer.due_at.isoformat()}; escalation: {timer.escalation}"
        closed.append((timer.id, "breached", reason, timer.target_minutes))
        breached = _breached(timer, lead, now)
        outbox.add(breached)
        if timer.recycles and timer.lead_id not in recycled:
            recycled.append(timer.lead_id)
            outbox.add(await _recycled(conn, breached, timer, lead, parts, now))
    await timers.close_fired(conn, now, closed)
    for timer, (_, outcome, _, _) in zip(due, closed, strict=True):
        TIMERS_FIRED.labels(outcome).inc()
        FIRE_LATENESS.observe(max((now - timer.due_at).total_seconds(), 0.0))
    await timers.recycle(conn, recycled, now)
    return len(due)


def _warned(timer: DueTimer, lead: ClaimedLead, clock: RunningClock, now: datetime) -> LeadSlaWarned:
    started, due = clock.started_at, clock.due_at
    share = (timer.due_at - started) / (due - started) if due > started else 0.0
    return LeadSlaWarned.new(
        producer=PRODUCER,
        lead_id=timer.lead_id,
        correlation_id=lead.correlation_id,
        causation_id=timer.cause_event_id,
        occurred_at=now,
        data=LeadSlaWarnedData(
            policy=timer.clock, owner=timer.owner, started_at=started, due_at=due, share=round(share, 4)
        ),
    )


def _breached(timer: DueTimer, lead: ClaimedLead, now: datetime) -> LeadSlaBreached:
    target = timer.target_minutes
    return LeadSlaBreached.new(
        producer=PRODUCER,
        lead_id=timer.lead_id,
        correlation_id=lead.correlation_id,
        causation_id=timer.cause_event_id,
        occurred_at=now,
        data=LeadSlaBreachedData(
            policy=timer.clock,
            owner=timer.owner,
            started_at=timer.started_at,
            due_at=timer.due_at,
            escalation_step=timer.escalation_step,
            escalation=timer.escalation,
            tier=timer.tier,
            sla_version=timer.sla_version,
            team=timer.team,
            target_minutes=float(target) if target is not None else None,
        ),
    )


async def _recycled(
    conn: Connection,
    breached: LeadSlaBreached,
    timer: DueTimer,
    lead: ClaimedLead,
    parts: SlaParts,
    now: datetime,
) -> LeadRecycled:
    track = None
    if lead.sla_version is not None and lead.tier is not None:
        policy = await parts.policies.parsed(conn, lead.sla_version)
        track = policy.tier_named(lead.tier).nurture.sla_exhausted
    return breached.caused(
        LeadRecycled,
        producer=PRODUCER,
        occurred_at=now,
        data=LeadRecycledData(
            reason="sla_exhausted",
            detail=f"'{timer.clock}' SLA breached at escalation step {timer.escalation_step}",
            owner=timer.owner,
            nurture_track=track,
        ),
    )
