"""One leased subscription's deliveries as a stream, the service's way of sending: a window of due
deliveries in hand, 16 of them on the wire at once (one for a paced destination); as they finish,
their outcomes are written together (at most every RECORD_SECONDS, or when nothing is in hand)
and the window is topped up with what became due — at once on a NOTIFY of newly queued
deliveries, otherwise when a quarter of it is free after a write (a lead's next event may now go)
or when it was full last time. A batch at a time waited for its slowest attempt and for its write
before the next batch could start; here a delivery queued while others are in flight goes as soon
as there is room. The order rule is the database's: `due` gives only the first open delivery of each lead, and
never one in flight or finished but not yet written. The stream ends when nothing is due or in
flight (the worker leases the subscription again on the next NOTIFY), when the subscription is
paused, disabled or deleted, or when an answer disables it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from leadkit.db import Pool
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.db.deliveries import DueDelivery
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain.sealing import CannotOpen
from sla_monitor.delivery.sending import Keys, open_keys

if TYPE_CHECKING:
    from sla_monitor.delivery.workers import DeliveryWorker, Settled

PREFETCH = 8  # deliveries in hand per send slot: the database is asked less often
RECORD_SECONDS = 0.05  # outcomes wait at most this long to be written with others
REFRESH_SECONDS = 1.0  # how stale the subscription's row and keys may be while it streams


@dataclass
class SubscriptionStream:
    worker: DeliveryWorker
    subscription_id: UUID
    woken: asyncio.Event = field(default_factory=asyncio.Event)  # set on a NOTIFY of new deliveries
    erased: asyncio.Event = field(default_factory=asyncio.Event)  # set on a NOTIFY of an erasure
    window: int = 1  # deliveries in hand (sending or waiting to); set when the subscription is read
    _in_flight: dict[int, asyncio.Task[Settled | None]] = field(default_factory=dict)
    _sends: asyncio.Semaphore | None = None  # attempts on the wire at once (the rest wait in hand)
    _stopping: bool = False
    _dropped: set[int] = field(default_factory=set)  # in hand, not to be sent (erased, skipped)
    _unwritten: list[Settled] = field(default_factory=list)
    _stored: StoredSubscription | None = None
    _keys: Keys | None = None
    _refreshed_at: float = float("-inf")

    @property
    def pool(self) -> Pool:
        return self.worker.pool

    async def run(self) -> int:
        """Stream until there is nothing left to send; the deliveries attempted."""
        sent = 0
        look = True  # more may be due: ask the database when there is room
        urgent = True  # woken, or nothing in hand: ask even for a little room
        written_at = time.monotonic()
        try:
            while True:
                room = self.window - len(self._in_flight)
                if look and not self._stopping and room > 0 and (urgent or room >= self.window // 4):
                    look = await self._top_up()
                    urgent = False
                if not self._in_flight and not self._unwritten:
                    if look and not self._stopping:
                        urgent = True
                        continue  # the window was filled and emptied: more may be due
                    return sent
                await self._wait_for_any(RECORD_SECONDS)
                if self.woken.is_set():
                    self.woken.clear()
                    look = urgent = True
                if self.erased.is_set():
                    self.erased.clear()
                    await self._drop_unsendable()
                self._collect()
                ripe = time.monotonic() - written_at >= RECORD_SECONDS or not self._in_flight
                if self._unwritten and ripe:
                    written = len(self._unwritten)
                    held = await self.worker.record(self._subscription(), self._unwritten)
                    self._unwritten = []
                    written_at = time.monotonic()
                    sent += written
                    if not held:  # deleted meanwhile: nothing left to send or write
                        return sent
                    look = True  # a lead whose delivery was written may have its next one due
        finally:
            for task in self._in_flight.values():
                task.cancel()

    async def _top_up(self) -> bool:
        """Fill the window with due deliveries; whether more may be due (False also when the
        subscription is to stop: paused, disabled, deleted, its keys unreadable)."""
        skip = [*self._in_flight, *(s.delivery.id for s in self._unwritten)]
        async with self.pool.acquire() as conn:
            if time.monotonic() - self._refreshed_at > REFRESH_SECONDS:
                self._stored = stored = await subscriptions.subscription(conn, self.subscription_id)
                if stored is None or stored.subscription.paused or not stored.subscription.active:
                    self._stopping = True
                    return False
                try:
                    self._keys = await open_keys(
                        conn, self.worker.sending.sealer, self.subscription_id, self.worker.now()
                    )
                except CannotOpen:
                    await self.worker.cannot_open(conn, self.subscription_id)
                    self._stopping = True
                    return False
                if self._keys is None:
                    self._stopping = True
                    return False
                # a paced destination (Slack, HubSpot) gets one request at a time
                paced = self.worker.sending.paced(stored)
                self.window = 1 if paced else self.worker.per_subscription * PREFETCH
                if self._sends is None:
                    self._sends = asyncio.Semaphore(1 if paced else self.worker.per_subscription)
                self._refreshed_at = time.monotonic()
            room = self.window - len(self._in_flight)
            if room <= 0:
                return True
            due = await deliveries.due(conn, self.subscription_id, self.worker.now(), room, skip=skip)
        for delivery in due:
            self._in_flight[delivery.id] = asyncio.create_task(self._attempt(delivery))
        return len(due) == room

    async def _attempt(self, delivery: DueDelivery) -> Settled | None:
        """None: not sent, the stream stopping first (it stays pending)."""
        assert self._keys is not None
        assert self._sends is not None
        async with self._sends:
            if self._stopping or delivery.id in self._dropped:
                return None
            return await self.worker.attempt(self._subscription(), delivery, self._keys)

    async def _drop_unsendable(self) -> None:
        """A person was erased (somewhere): what is in hand and not yet on the wire is checked
        again, and what may no longer go is not sent."""
        waiting = [i for i in self._in_flight if i not in self._dropped]
        if not waiting:
            return
        async with self.pool.acquire() as conn:
            sendable = await deliveries.still_sendable(conn, waiting)
        self._dropped.update(i for i in waiting if i not in sendable)

    async def _wait_for_any(self, seconds: float) -> None:
        woken = asyncio.create_task(self.woken.wait())
        try:
            await asyncio.wait(
                {woken, *self._in_flight.values()}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            woken.cancel()

    def _collect(self) -> None:
        for delivery_id, task in list(self._in_flight.items()):
            if task.done():
                del self._in_flight[delivery_id]
                self._dropped.discard(delivery_id)
                done = task.result()  # an attempt's own errors are its outcome
                if done is not None:
                    self._unwritten.append(done)
                    self._stopping = self._stopping or done.judgement.verdict == "disable"

    def _subscription(self) -> StoredSubscription:
        assert self._stored is not None
        return self._stored


def streams_woken(streams: dict[UUID, SubscriptionStream]) -> Callable[..., None]:
    """The NOTIFY callback (connection, pid, channel, payload): every running stream looks for
    newly due deliveries, or, after an erasure, drops what it holds that may no longer go."""

    def wake(*args: object) -> None:
        erased = len(args) == 4 and args[3] == deliveries.ERASED
        for stream in streams.values():
            (stream.erased if erased else stream.woken).set()

    return wake
