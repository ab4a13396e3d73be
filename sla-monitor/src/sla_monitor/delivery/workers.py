"""The delivery worker: on its own connection pool (so sales tools never slow the SLA clocks), it
leases subscriptions with due deliveries, sends them — each lead's in order, different leads at
once — records every attempt, and lets the lease go. The service streams each leased
subscription (stream.py); `round` does the same a step at a time (the tests').
A slow or dead endpoint holds only its own
subscription; one lease per subscription means no delivery is ever sent twice at once, and a
lease that runs out (an instance died mid-send) hands the work to the next (at least once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from prometheus_client import Counter, Gauge, Histogram

from leadkit.db import Connection, Pool
from sla_monitor.delivery.db import crm_records, deliveries, subscriptions
from sla_monitor.delivery.db.crm_records import CrmRecord
from sla_monitor.delivery.db.deliveries import DueDelivery, Outcome
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain.outcomes import Judgement, judge
from sla_monitor.delivery.sending import CRM_KINDS, Keys, Sending
from sla_monitor.delivery.stream import SubscriptionStream, streams_woken

log = structlog.get_logger(__name__)
LEASE = timedelta(seconds=60)
RESEALED = "its secrets were sealed under another SLA_MONITOR_DELIVERY_SEALING_KEY: rotate them"
STATUS = {"delivered": "delivered", "retry": "pending", "failed": "failed", "disable": "pending"}
DELIVERIES = Counter(
    "leadloop_deliveries_total",
    "Delivery attempts by outcome: delivered, retry, failed, disable",
    ["outcome"],
)
ATTEMPT_SECONDS = Histogram(
    "leadloop_delivery_attempt_seconds",
    "Time from sending a delivery to its answer",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
OLDEST_PENDING = Gauge(
    "leadloop_delivery_oldest_pending_seconds", "Age of the oldest pending delivery", ["subscription"]
)
PENDING = Gauge("leadloop_deliveries_pending", "Pending deliveries", ["subscription"])


@dataclass(frozen=True)
class Settled:
    """One attempt and what it came to, waiting to be written with its batch."""

    delivery: DueDelivery
    outcome: Outcome
    judgement: Judgement
    record: CrmRecord | None  # a CRM record made or changed by it


@dataclass
class DeliveryWorker:
    pool: Pool
    sending: Sending
    clock: Callable[[], datetime]
    concurrency: int = 8
    per_subscription: int = 16
    only: list[UUID] | None = None  # these subscriptions alone (a test's)
    retention: timedelta = timedelta(days=30)
    # set once the worker LISTENs: from then on no queued delivery waits for a poll
    listening: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> datetime:
        return self.clock()

    async def run(self, *, poll_seconds: float) -> None:
        """Keep up to `concurrency` subscriptions streaming, each in a task of its own, so a slow
        or dead endpoint holds one slot and nothing else; a NOTIFY from the transaction that
        queued deliveries (or a resend, a replay, a resume) wakes the loop and every stream at
        once, and a poll finds retries whose time has come."""
        wake = asyncio.Event()
        listener = await self.pool.acquire()
        streams: dict[UUID, SubscriptionStream] = {}
        wake_streams = streams_woken(streams)

        def woken_by_notify(*args: object) -> None:
            wake.set()
            wake_streams(*args)

        await listener.add_listener(deliveries.CHANNEL, woken_by_notify)
        self.listening.set()
        running: dict[UUID, asyncio.Task[int]] = {}
        measured_at = 0.0
        purged_at = 0.0
        try:
            while True:
                wake.clear()
                now = self.now()
                if len(running) < self.concurrency:
                    async with self.pool.acquire() as conn:
                        found = await subscriptions.lease(
                            conn,
                            now,
                            LEASE,
                            limit=self.concurrency - len(running),
                            skip=list(running),
                            only=self.only,
                        )
                    for subscription_id in found:
                        streams[subscription_id] = SubscriptionStream(self, subscription_id)
                        running[subscription_id] = asyncio.create_task(self._stream(streams[subscription_id]))
                if time.monotonic() - measured_at > 10:
                    await self.measure()
                    measured_at = time.monotonic()
                if time.monotonic() - purged_at > 3600:
                    async with self.pool.acquire() as conn:
                        await deliveries.purge(conn, now - self.retention)
                    purged_at = time.monotonic()
                woken = asyncio.create_task(wake.wait())
                await asyncio.wait(
                    {woken, *running.values()}, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                woken.cancel()
                for subscription_id, task in list(running.items()):
                    if task.done():
                        del running[subscription_id]
                        del streams[subscription_id]
                        if task.exception() is not None:
                            log.error("a subscription's sends failed", exc_info=task.exception())
        finally:
            for task in running.values():
                task.cancel()
            await listener.remove_listener(deliveries.CHANNEL, woken_by_notify)
            await self.pool.release(listener)

    async def round(self) -> int:
        """Lease every subscription with due work (up to `concurrency` at once), stream each until
        nothing more is due on the worker's clock, and wait for all of them; the deliveries
        attempted. The same sending as `run`, one step at a time: for the tests, which set the
        clock to walk a retry schedule."""
        async with self.pool.acquire() as conn:
            leased = await subscriptions.lease(
                conn, self.now(), LEASE, limit=self.concurrency, skip=[], only=self.only
            )
        done = await asyncio.gather(*(self._stream(SubscriptionStream(self, s)) for s in leased))
        return sum(done)

    async def _stream(self, stream: SubscriptionStream) -> int:
        try:
            return await stream.run()
        finally:
            async with self.pool.acquire() as conn:
                await subscriptions.release_lease(conn, stream.subscription_id)

    async def cannot_open(self, conn: Connection, subscription_id: UUID) -> None:
        """The sealing key changed: nothing the subscription sends could be verified, so it stops."""
        await subscriptions.disable(conn, subscription_id, RESEALED, self.now())
        log.error("subscription disabled", subscription_id=str(subscription_id), why=RESEALED)

    async def attempt(self, stored: StoredSubscription, delivery: DueDelivery, keys: Keys) -> Settled:
        subscription = stored.subscription
        record = None
        if subscription.kind in CRM_KINDS:
            async with self.pool.acquire() as conn:
                record = await crm_records.record_of(conn, subscription.id, delivery.lead_id)
        result = await self.sending.send(stored, delivery, self.now(), keys, record)
        now = self.now()
        attempts = delivery.attempts + 1
        judgement = judge(result.answer, attempts=attempts, now=now, failing_since=stored.failing_since)
        DELIVERIES.labels(judgement.verdict).inc()
        ATTEMPT_SECONDS.observe(result.latency_ms / 1000)
        outcome = Outcome(
            status=STATUS[judgement.verdict],
            attempts=attempts,
            next_attempt_at=judgement.next_attempt_at or (now if judgement.verdict == "disable" else None),
            last_status=result.answer.status,
            last_error=None if judgement.verdict == "delivered" else (judgement.reason or "")[:1000],
            latency_ms=result.latency_ms,
            at=now,
            external_id=result.external_id,
            asks=delivery.asks,
        )
        if judgement.verdict not in ("delivered", "disable"):
            log.info(
                "delivery failed",
                subscription_id=str(subscription.id),
                delivery_id=delivery.id,
                lead_id=str(delivery.lead_id),
                attempts=attempts,
                status=result.answer.status,
                # not the answer's words: a CRM's message may quote the person (they stay in the
                # delivery's row, which an erasure clears)
                verdict=judgement.verdict,
            )
        changed = result.record if result.record is not None and result.record != record else None
        return Settled(delivery, outcome, judgement, changed)

    async def record(self, stored: StoredSubscription, settled: list[Settled]) -> bool:
        """Write the batch's outcomes; False when the subscription was deleted meanwhile."""
        if not settled:
            return True
        subscription = stored.subscription
        now = self.now()
        disabling = next((s.judgement for s in settled if s.judgement.verdict == "disable"), None)
        failed = [s for s in settled if s.judgement.verdict != "delivered"]
        # the subscription's row first, then its deliveries': the order a DELETE's cascade takes
        async with self.pool.acquire() as conn, conn.transaction():
            if not await subscriptions.renew_lease(conn, subscription.id, now + LEASE):
                return False  # unsubscribed meanwhile: its deliveries went with it
            if failed:
                await subscriptions.note_failure(conn, subscription.id, now)
            else:
                await subscriptions.note_success(conn, subscription.id)
            if disabling is not None:
                await subscriptions.disable(conn, subscription.id, disabling.reason or "disabled", now)
            await deliveries.record_outcomes(conn, [(s.delivery.id, s.outcome) for s in settled])
            for done in settled:
                if done.record is not None:
                    await crm_records.save_record(
                        conn, subscription.id, done.delivery.lead_id, done.record, now
                    )
        if disabling is not None:
            # why is the subscription's own (GET /v1/subscriptions/{id}): it may quote an endpoint
            log.warning("subscription disabled", subscription_id=str(subscription.id))
        return True

    async def measure(self) -> None:
        async with self.pool.acquire() as conn:
            found = await deliveries.backlog(conn)
        now = self.now()
        PENDING.clear()
        OLDEST_PENDING.clear()
        for backlog in found:
            PENDING.labels(str(backlog.subscription_id)).set(backlog.pending)
            OLDEST_PENDING.labels(str(backlog.subscription_id)).set((now - backlog.oldest).total_seconds())
