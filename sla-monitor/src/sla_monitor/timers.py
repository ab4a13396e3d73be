"""The timer sweep: fire every clock and warning that is due, set-based; any number of instances.

The leads with due timers are locked first (SKIP LOCKED: a lead that a progress report or another
instance holds is left to the next round), then their due timers are read under the lock — a
report that committed meanwhile has already closed them — so each due timer fires exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from leadkit.db import Connection, columns
from leadkit.messaging import Outbox
from sla_monitor.metrics import FIRE_LATENESS, TIMERS_FIRED
from sla_monitor.parts import SlaParts

PRODUCER = "sla-monitor"

# oldest due first; SKIP LOCKED with LIMIT passes over leads another instance (or a report) holds
# and fills the batch from the rest, so instances share a backlog instead of queueing on it. The
# sweep never waits for a lead's lock, so its order cannot deadlock with anyone's.
_CLAIM_LEADS = """
SELECT l.lead_id, l.correlation_id, l.tier, l.sla_version
FROM leads l
JOIN (SELECT lead_id, min(due_at) AS due FROM timers WHERE status = 'pending' AND due_at <= $1
      GROUP BY lead_id) d ON d.lead_id = l.lead_id
WHERE l.lead_id::text <> ALL($3::text[]) AND ($4::uuid[] IS NULL OR l.lead_id = ANY($4::uuid[]))
ORDER BY d.due
LIMIT $2
FOR UPDATE OF l SKIP LOCKED
"""
# what a claim would take, read without locks: the leads a failed round is worked through one by one
_PENDING_LEADS = """
SELECT lead_id FROM timers WHERE status = 'pending' AND due_at <= $1 AND lead_id::text <> ALL($3::text[])
GROUP BY lead_id ORDER BY min(due_at) LIMIT $2
"""
_DUE = """
SELECT id, lead_id, clock, escalation, escalation_step, owner, started_at, due_at, cause_event_id, tier,
       sla_version, team, target_minutes
FROM timers WHERE lead_id = ANY($1::uuid[]) AND status = 'pending' AND due_at <= $2
ORDER BY due_at, id FOR UPDATE
"""
# the clocks the due warnings belong to (still running: a warning whose clock closed warns nobody)
_WARNED_CLOCKS = """
SELECT lead_id, clock, started_at, due_at FROM timers
WHERE lead_id = ANY($1::uuid[]) AND status = 'pending' AND escalation <> 'warn' AND due_at > $2
"""
_CLOSE = """
UPDATE timers SET status = u.status, closed_at = $1, closed_reason = u.reason, business_minutes = u.minutes
FROM unnest($2::bigint[], $3::text[], $4::text[], $5::numeric[]) AS u(id, status, reason, minutes)
WHERE timers.id = u.id
"""
_RECYCLE = "UPDATE leads SET stage = 'recycled', updated_at = $2 WHERE lead_id = ANY($1::uuid[])"
_CANCEL_REST = """
UPDATE timers SET status = 'cancelled', closed_at = $2, closed_reason = 'lead recycled to marketing'
WHERE lead_id = ANY($1::uuid[]) AND status = 'pending'
"""


@dataclass(frozen=True)
class ClaimedLead:
    """A lead the sweep holds (locked) while its due timers fire."""

    lead_id: UUID
    correlation_id: UUID
    tier: str | None
    sla_version: int | None


@dataclass(frozen=True)
class DueTimer:
    """A pending timer whose time has come: a warning (`escalation` "warn") or a clock's breach."""

    id: int
    lead_id: UUID
    clock: str
    escalation: str
    escalation_step: int
    owner: str
    started_at: datetime
    due_at: datetime
    cause_event_id: UUID | None
    tier: str | None
    sla_version: int | None
    team: str | None
    target_minutes: Decimal | None

    @property
    def is_warning(self) -> bool:
        return self.escalation == "warn"


@dataclass(frozen=True)
class RunningClock:
    """A clock still running that a due warning belongs to."""

    lead_id: UUID
    clock: str
    started_at: datetime
    due_at: datetime


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
    claimed = await conn.fetch(_CLAIM_LEADS, now, limit, list(skip), None if only is None else list(only))
    leads = {row["lead_id"]: ClaimedLead(**dict(row)) for row in claimed}
    if not leads:
        return 0
    due = [DueTimer(**dict(row)) for row in await conn.fetch(_DUE, sorted(leads), now)]
    warnings = [t.lead_id for t in due if t.is_warning]
    running = await conn.fetch(_WARNED_CLOCKS, sorted(set(warnings)), now) if warnings else []
    clocks = {(row["lead_id"], row["clock"]): RunningClock(**dict(row)) for row in running}
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
        if timer.escalation == "recycle" and timer.lead_id not in recycled:
            recycled.append(timer.lead_id)
            outbox.add(await _recycled(conn, breached, timer, lead, parts, now))
    await conn.execute(_CLOSE, now, *columns(closed, width=4))
    for timer, (_, outcome, _, _) in zip(due, closed, strict=True):
        TIMERS_FIRED.labels(outcome).inc()
        FIRE_LATENESS.observe(max((now - timer.due_at).total_seconds(), 0.0))
    if recycled:
        await conn.execute(_RECYCLE, recycled, now)
        await conn.execute(_CANCEL_REST, recycled, now)
    return len(due)


async def pending_leads(
    conn: Connection, *, now: datetime, skip: Sequence[str], limit: int = 1000
) -> list[str]:
    return [str(row["lead_id"]) for row in await conn.fetch(_PENDING_LEADS, now, limit, list(skip))]


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
