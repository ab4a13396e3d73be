"""The `deliveries` table: one row per event and subscription, written with the event's
consumption; sent in order per lead and subscription, tried again on the schedule, parked when
the schedule runs out, resent or replayed by an operator."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from leadkit.db import Connection, columns
from sla_monitor.delivery.domain.payloads import encoded

CHANNEL = "leadloop_deliveries"
# the ids follow the events' order: by when they happened, then as consumed (a lead's events at one
# instant keep their order on its partition). The workers LISTEN: a NOTIFY is delivered when the
# transaction commits, so a worker woken by it finds the rows it announces
_ENQUEUE = f"""
WITH queued AS (
    INSERT INTO deliveries (subscription_id, lead_id, event_id, event_type, occurred_at, payload, status,
                            next_attempt_at, created_at)
    SELECT s, l, e, t, o, p, 'pending', $7, $7
    FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::text[])
        WITH ORDINALITY AS u(s, l, e, t, o, p, n)
    ORDER BY o, n
    ON CONFLICT (subscription_id, event_id) DO NOTHING
    RETURNING 1
)
SELECT pg_notify('{CHANNEL}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
"""
_WAKE = f"SELECT pg_notify('{CHANNEL}', '')"
# a delivery waits for every earlier one of its lead and subscription still pending or parked: it
# goes only as the first of its lead's open ones. Written as a per-row lookup of that first one
# (ix_deliveries_open) rather than NOT EXISTS: on a table filling fast, stale statistics made the
# planner join every pending row with every other (a second per call, measured in the benchmark)
_DUE = """
SELECT d.id, d.lead_id, d.event_id, d.event_type, d.occurred_at, d.payload, d.attempts, d.resend_asks
FROM deliveries d
WHERE d.subscription_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
  AND d.id <> ALL($4::bigint[])
  AND d.id = (SELECT e.id FROM deliveries e
              WHERE e.subscription_id = d.subscription_id AND e.lead_id = d.lead_id
                AND e.status IN ('pending', 'failed')
              ORDER BY e.id LIMIT 1)
ORDER BY d.id
LIMIT $3
"""
# An attempt that read the delivery before an operator asked to send it again (a resend or replay
# while it was in a worker's hand) is not the send asked for: the delivery stays pending, goes again
_OUTCOMES = """
UPDATE deliveries AS d SET
    status = CASE WHEN d.resend_asks <> u.asks THEN 'pending' ELSE u.status END,
    attempts = CASE WHEN d.resend_asks <> u.asks THEN 0 ELSE u.attempts END,
    next_attempt_at = CASE WHEN d.resend_asks <> u.asks THEN u.at
                           ELSE coalesce(u.next_attempt_at, d.next_attempt_at) END,
    last_status = u.last_status, last_error = u.last_error, last_latency_ms = u.latency,
    last_attempt_at = u.at,
    delivered_at = CASE WHEN u.status = 'delivered' THEN u.at ELSE d.delivered_at END,
    external_id = coalesce(u.external_id, d.external_id)
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::text[], $7::int[],
            $8::timestamptz[], $9::text[], $10::int[])
    AS u(id, status, attempts, next_attempt_at, last_status, last_error, latency, at, external_id, asks)
WHERE d.id = u.id AND d.status = 'pending'  -- skipped meanwhile (an erasure, an operator) stays so
"""
_LIST = """
SELECT id, lead_id, event_id, event_type, occurred_at, status, attempts, next_attempt_at, last_status,
       last_error, last_latency_ms, last_attempt_at, delivered_at, external_id
FROM deliveries
WHERE subscription_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::bigint IS NULL OR id < $3)
ORDER BY id DESC LIMIT $4
"""
_OF_LEAD = """
SELECT d.id, d.lead_id, d.event_id, d.event_type, d.occurred_at, d.status, d.attempts, d.next_attempt_at,
       d.last_status, d.last_error, d.last_latency_ms, d.last_attempt_at, d.delivered_at, d.external_id,
       d.subscription_id, s.kind, s.description
FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
WHERE d.lead_id = $1
ORDER BY d.occurred_at, d.id LIMIT $2
"""
_RESEND = """
UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3,
    resend_asks = resend_asks + 1
WHERE subscription_id = $1 AND id = $2 AND payload IS NOT NULL RETURNING id
"""
# a pending delivery is asked for again too: it may be in a worker's hand, sent before this asked
_REPLAY = """
UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $4,
    resend_asks = resend_asks + 1
WHERE subscription_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND payload IS NOT NULL
RETURNING id
"""
_SKIP = """
UPDATE deliveries SET status = 'skipped', last_error = coalesce(last_error, '') || ' (skipped: ' || $3 || ')'
WHERE subscription_id = $1 AND id = $2 AND status IN ('pending', 'failed') RETURNING id
"""
# an erased person's events are never sent, and what was sent is not kept
_FORGET = """
UPDATE deliveries SET payload = NULL,
    status = CASE WHEN status IN ('pending', 'failed') THEN 'skipped' ELSE status END,
    -- a destination's error may have quoted the person
    last_error = CASE WHEN status IN ('pending', 'failed') THEN 'the person was erased before delivery' END
WHERE lead_id = ANY($1::uuid[]) AND (payload IS NOT NULL OR last_error IS NOT NULL)
"""
_SENDABLE = (
    "SELECT id FROM deliveries WHERE id = ANY($1::bigint[]) AND status = 'pending' AND payload IS NOT NULL"
)
# what was delivered or skipped, with its payload, does not stay for ever (replay reaches this far)
_PURGE = "DELETE FROM deliveries WHERE status IN ('delivered', 'skipped') AND created_at < $1"
_BACKLOG = """
SELECT subscription_id, count(*) AS pending, min(created_at) AS oldest FROM deliveries
WHERE status = 'pending' GROUP BY subscription_id
"""


@dataclass(frozen=True)
class NewDelivery:
    subscription_id: UUID
    lead_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class DueDelivery:
    id: int
    lead_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    body: bytes  # the payload as stored: a webhook's body, sent as it is
    attempts: int
    asks: int = 0  # how many times an operator had asked to send it again when it was read

    @cached_property
    def payload(self) -> dict[str, Any]:
        """Read only by the kinds that reshape it (Slack, the CRMs): a webhook sends `body`."""
        found: dict[str, Any] = json.loads(self.body)
        return found


@dataclass(frozen=True)
class Outcome:
    status: str  # pending (to retry) | delivered | failed
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    latency_ms: int | None
    at: datetime
    external_id: str | None = None
    asks: int = 0  # the operator's asks to send it again, as the attempt read them


@dataclass(frozen=True)
class DeliveryView:
    id: int
    lead_id: UUID
    event_id: UUID
    event_type: str
    occurred_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    last_latency_ms: int | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    external_id: str | None


@dataclass(frozen=True)
class LeadDelivery(DeliveryView):
    """A lead's delivery with the subscription it went to."""

    subscription_id: UUID
    kind: str
    description: str


@dataclass(frozen=True)
class Backlog:
    subscription_id: UUID
    pending: int
    oldest: datetime


async def enqueue(conn: Connection, deliveries: Sequence[NewDelivery], now: datetime) -> None:
    if not deliveries:
        return
    texts: dict[UUID, str] = {}  # an event's payload is the same for every subscription: encoded once
    rows = [
        (
            d.subscription_id,
            d.lead_id,
            d.event_id,
            d.event_type,
            d.occurred_at,
            texts.get(d.event_id) or texts.setdefault(d.event_id, encoded(d.payload)),
        )
        for d in deliveries
    ]
    await conn.execute(_ENQUEUE, *columns(rows, width=6), now)


async def wake_workers(conn: Connection) -> None:
    """Deliveries became due by hand (a resend, a replay, a resume): the workers look now."""
    await conn.execute(_WAKE)


async def due(
    conn: Connection, subscription_id: UUID, now: datetime, limit: int, *, skip: Sequence[int] = ()
) -> list[DueDelivery]:
    """Up to `limit` deliveries that may go now, oldest first: each the first open one of its lead,
    none of `skip` (in flight, or answered but not yet written)."""
    return [
        DueDelivery(
            row["id"],
            row["lead_id"],
            row["event_id"],
            row["event_type"],
            row["occurred_at"],
            row["payload"].encode(),
            row["attempts"],
            row["resend_asks"],
        )
        for row in await conn.fetch(_DUE, subscription_id, now, limit, list(skip))
        if row["payload"] is not None
    ]


async def record_outcomes(conn: Connection, outcomes: Sequence[tuple[int, Outcome]]) -> None:
    """A batch's attempts, one statement."""
    rows = [
        (
            delivery_id,
            o.status,
            o.attempts,
            o.next_attempt_at,
            o.last_status,
            o.last_error,
            o.latency_ms,
            o.at,
            o.external_id,
            o.asks,
        )
        for delivery_id, o in outcomes
    ]
    if rows:
        await conn.execute(_OUTCOMES, *columns(rows, width=10))


async def deliveries_of(
    conn: Connection, subscription_id: UUID, *, status: str | None, before: int | None, limit: int
) -> list[DeliveryView]:
    return [
        DeliveryView(**dict(row)) for row in await conn.fetch(_LIST, subscription_id, status, before, limit)
    ]


async def deliveries_of_lead(conn: Connection, lead_id: UUID, limit: int) -> list[LeadDelivery]:
    """Every subscription's deliveries of one lead's events, oldest first."""
    return [LeadDelivery(**dict(row)) for row in await conn.fetch(_OF_LEAD, lead_id, limit)]


async def resend(conn: Connection, subscription_id: UUID, delivery_id: int, now: datetime) -> bool:
    done = await conn.fetchval(_RESEND, subscription_id, delivery_id, now) is not None
    if done:
        await wake_workers(conn)
    return done


async def replay(
    conn: Connection, subscription_id: UUID, start: datetime, end: datetime, now: datetime
) -> int:
    queued = len(await conn.fetch(_REPLAY, subscription_id, start, end, now))
    if queued:
        await wake_workers(conn)
    return queued


async def skip(conn: Connection, subscription_id: UUID, delivery_id: int, why: str) -> bool:
    return await conn.fetchval(_SKIP, subscription_id, delivery_id, why) is not None


ERASED = "erased"  # a NOTIFY's payload: deliveries in a worker's hand may belong to an erased person
_ERASED = f"SELECT pg_notify('{CHANNEL}', '{ERASED}')"


async def forget_people(conn: Connection, lead_ids: Sequence[UUID]) -> None:
    await conn.execute(_FORGET, list(lead_ids))
    await conn.execute(_ERASED)


async def still_sendable(conn: Connection, delivery_ids: Sequence[int]) -> set[int]:
    """Those of these deliveries still pending with their payload (not erased, not skipped)."""
    rows = await conn.fetch(_SENDABLE, list(delivery_ids))
    return {row["id"] for row in rows}


async def backlog(conn: Connection) -> list[Backlog]:
    return [Backlog(**dict(row)) for row in await conn.fetch(_BACKLOG)]


async def purge(conn: Connection, before: datetime) -> int:
    done = await conn.execute(_PURGE, before)
    return int(done.rsplit(" ", 1)[-1])
