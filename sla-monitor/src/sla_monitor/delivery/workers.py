"""The delivery worker: on its own connection pool (so sales tools never slow the SLA clocks), it
leases a subscription with due deliveries, sends them — each lead's in order, different leads at
once — records every attempt, and lets the lease go. A slow or dead endpoint holds only its own
subscription; one lease per subscription means no delivery is ever sent twice at once, and a
lease that runs out (an instance died mid-send) hands the work to the next (at least once)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import structlog
from prometheus_client import Counter, Gauge, Histogram

from leadkit.db import Pool, create_pool
from leadkit.service import Deps
from sla_monitor.delivery.child_metrics import CHILD_METRICS, METRICS_FILE
from sla_monitor.delivery.db import crm_records, deliveries, subscriptions
from sla_monitor.delivery.db.crm_records import CrmRecord
from sla_monitor.delivery.db.deliveries import DueDelivery, Outcome
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain.outcomes import Judgement, judge
from sla_monitor.delivery.domain.sealing import CannotOpen, SealingKeyProblem
from sla_monitor.delivery.sending import CRM_KINDS, Keys, Sending, open_keys
from sla_monitor.settings import SlaMonitorSettings

log = structlog.get_logger(__name__)
LEASE = timedelta(seconds=60)
RESEALED = "its secrets were sealed under another SLA_MONITOR_DELIVERY_SEALING_KEY: rotate them"
BATCH = 200
BATCH_SECONDS = 30.0  # well inside the lease
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

    def now(self) -> datetime:
        return self.clock()

    async def run(self, *, poll_seconds: float) -> None:
        """Keep up to `concurrency` subscriptions sending, each in a task of its own, so a slow
        or dead endpoint holds one slot and nothing else; a NOTIFY from the transaction that
        queued deliveries (or a resend, a replay, a resume) wakes the loop at once, and a poll
        finds retries whose time has come."""
        wake = asyncio.Event()
        listener = await self.pool.acquire()

        def woken_by_notify(*_: object) -> None:
            wake.set()

        await listener.add_listener(deliveries.CHANNEL, woken_by_notify)
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
                        running[subscription_id] = asyncio.create_task(
                            self._work(subscription_id, now, keep_going=True)
                        )
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
                        if task.exception() is not None:
                            log.error("a subscription's sends failed", exc_info=task.exception())
        finally:
            for task in running.values():
                task.cancel()
            await listener.remove_listener(deliveries.CHANNEL, woken_by_notify)
            await self.pool.release(listener)

    async def round(self, now: datetime) -> int:
        """Lease every subscription with due work (up to `concurrency` at once), send, and wait for
        all of them; the deliveries attempted. One step at a time, for the tests and the CLI's
        kind of caller; the service runs `run`, which never waits for a slow subscription."""
        async with self.pool.acquire() as conn:
            leased = await subscriptions.lease(
                conn, now, LEASE, limit=self.concurrency, skip=[], only=self.only
            )
        done = await asyncio.gather(*(self._work(subscription_id, now) for subscription_id in leased))
        return sum(done)

    async def _work(self, subscription_id: UUID, now: datetime, *, keep_going: bool = False) -> int:
        """Send a leased subscription's due deliveries, a batch at a time; `keep_going`: batch after
        batch while there are due ones (the service: no trip back through the lease between
        batches under load), else one batch (`round`, on the caller's clock)."""
        sent = 0
        try:
            while True:
                async with self.pool.acquire() as conn:
                    stored = await subscriptions.subscription(conn, subscription_id)
                    if stored is None or stored.subscription.paused or not stored.subscription.active:
                        return sent
                    due = await deliveries.due(conn, subscription_id, now, BATCH)
                    if not due:
                        return sent
                    try:
                        keys = await open_keys(conn, self.sending.sealer, subscription_id, now)
                    except CannotOpen:
                        # the sealing key changed: nothing it sends could be verified, so it stops
                        why = RESEALED
                        await subscriptions.disable(conn, subscription_id, why, now)
                        log.error("subscription disabled", subscription_id=str(subscription_id), why=why)
                        return sent
                if keys is None:
                    return sent
                done, held = await self._send_all(stored, due, keys)
                sent += done
                if not (keep_going and held):
                    return sent
                now = self.now()
        finally:
            async with self.pool.acquire() as conn:
                await subscriptions.release_lease(conn, subscription_id)

    async def _send_all(
        self, stored: StoredSubscription, due: list[DueDelivery], keys: Keys
    ) -> tuple[int, bool]:
        """Send a batch — each lead's deliveries in order, different leads at once — then write
        every attempt's outcome in one statement (set-based; a crash before it means a resend,
        at least once). A batch stops taking new sends after BATCH_SECONDS, so its lease holds."""
        by_lead: dict[UUID, list[DueDelivery]] = defaultdict(list)
        for delivery in due:
            by_lead[delivery.lead_id].append(delivery)
        limit = asyncio.Semaphore(1 if self.sending.paced(stored) else self.per_subscription)
        stopped = asyncio.Event()  # the subscription is to be disabled: no more sends
        deadline = time.monotonic() + BATCH_SECONDS
        settled: list[Settled] = []

        async def lead_in_order(queue: list[DueDelivery]) -> None:
            for delivery in queue:
                if stopped.is_set() or time.monotonic() > deadline:
                    return
                async with limit:
                    done = await self._attempt(stored, delivery, keys)
                settled.append(done)
                if done.judgement.verdict == "disable":
                    stopped.set()
                if done.judgement.verdict != "delivered":
                    return  # a later event of this lead waits for this one

        await asyncio.gather(*(lead_in_order(queue) for queue in by_lead.values()))
        held = await self._record(stored, settled)
        return len(settled), held and not stopped.is_set()

    async def _attempt(self, stored: StoredSubscription, delivery: DueDelivery, keys: Keys) -> Settled:
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

    async def _record(self, stored: StoredSubscription, settled: list[Settled]) -> bool:
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


async def run_delivery_worker(settings: SlaMonitorSettings, clock: Callable[[], datetime]) -> None:
    """The worker, in this process, until cancelled."""
    try:
        sending = Sending.of(settings)
    except SealingKeyProblem as problem:
        # no subscription can exist without the key (the API refuses them), so nothing waits
        log.warning("deliveries are off until SLA_MONITOR_DELIVERY_SEALING_KEY is set", why=str(problem))
        await asyncio.Event().wait()
        return
    pool = await create_pool(settings.database_url, size=settings.delivery_pool_size + 1)
    worker = DeliveryWorker(
        pool,
        sending,
        clock,
        concurrency=settings.delivery_concurrency,
        retention=timedelta(days=settings.delivery_retention_days),
    )
    try:
        await worker.run(poll_seconds=settings.delivery_poll_seconds)
    finally:
        await sending.close()
        await pool.close()


async def run_deliveries(deps: Deps) -> None:
    """sla-monitor's "deliveries" loop: the worker in a process of its own (process.py) unless
    SLA_MONITOR_DELIVERY_PROCESS is off; a process that exits is started again by the supervisor."""
    settings = deps.settings
    assert isinstance(settings, SlaMonitorSettings)
    if not settings.delivery_process:
        await run_delivery_worker(settings, deps.clock)
        return
    with tempfile.TemporaryDirectory(prefix="leadloop-deliveries-") as folder:
        metrics = Path(folder) / "metrics.prom"
        CHILD_METRICS.path = metrics
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sla_monitor.delivery", env={**os.environ, METRICS_FILE: str(metrics)}
        )
        try:
            code = await child.wait()
            raise RuntimeError(f"the delivery process exited with {code}")
        finally:
            if child.returncode is None:
                child.terminate()
                await child.wait()
