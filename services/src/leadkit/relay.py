"""The outbox relay: publishes outbox rows to Kafka in row order, then marks them published.

One relay per service publishes at a time: the one whose connection holds the service's
session-level advisory lock. It does all its work on that very connection, so if the connection
dies the lock goes with it and the relay notices at its next statement, reconnects and competes
for the lock again; the other instances find the lock taken and stand by, trying again each poll.

A batch is read without any row lock (only the lock holder publishes), sent, and marked
published once Kafka acknowledged it: no lock or transaction is held while waiting for Kafka.
The rows are not marked before the send, because a crash between such a mark and the send would
lose them. A crash between send and mark re-sends them instead: delivery is at least once, and
the consumers' inbox makes the effect exactly once. A row Kafka refuses for good (too large, an
invalid topic) is parked with its error instead of blocking every row behind it; operators see it
in `leadloop_outbox_parked` and `python -m leadkit.admin outbox parked SERVICE`.

The relay sleeps until woken: in memory by its own process after a commit that wrote outbox
rows, by NOTIFY from other instances' commits (they notify only while their own relay stands by),
and by a safety-net poll every 10 s. A relay standing by tries the lock every poll interval.
Rows sent are marked by the next pass, or alone after a poll interval without one. Passes start
at least `pass_pace_ms` apart unless the last was full (LEADLOOP_RELAY_PASS_PACE_MS).

A commit of one request's rows (a lead posted on its own) wakes the relay as one of a stream
(`wake(requests=n)`): its pass may wait, up to `request_gather_ms` after the last pass began, for
`request_gather` such commits to share it. At 100 leads a second capture's relay then makes a
pass a twentieth of a second with five leads, not one a pace with two; at 300 the count comes
first and a lead waits a few milliseconds. Any other wake (a consumer's poll, a batch, NOTIFY, a
pass after a quiet spell) is not held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

from leadkit.db import Connection, Pool
from leadkit.infrastructure import is_infrastructure_error
from leadkit.messaging import OUTBOX_CHANNEL
from leadkit.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG, OUTBOX_PARKED, RELAY_ACTIVE
from leadkit.redact import Redactor
from leadkit.supervise import sleep_or_stop
from leadkit.topics import TopicNames

log = structlog.get_logger(__name__)
STANDING_BY = -1  # what publish_batch returns when another instance's relay holds the lock

# The outbox is a queue: its unpublished rows are few, its published ones many, and the partial
# index on the unpublished keeps an entry for every row marked since the last vacuum. A plain
# index scan in id order stops at the LIMIT and marks those entries dead as it passes; a bitmap
# scan (what the planner takes on a young table's statistics, and keeps in its cached plan)
# rereads every one of them on each pass, so a pass grew with the rows published that hour
# (4 ms at 100 leads/s after a minute). The relay's own connection plans without bitmap and
# sequential scans; it puts the planner back before the connection returns to the pool.
# Its commits do not wait for the WAL to reach the disk (synchronous_commit off): what it writes
# only records what Kafka already holds (a mark, a park, a purge), so a mark a database crash loses
# re-sends rows the consumers' inboxes absorb, as a relay crash between send and mark does. The
# flush each pass's commit waited for was a fifth of the machine's commits at 100 leads a second.
_SESSION = "SET enable_bitmapscan = off; SET enable_seqscan = off; SET synchronous_commit = off"
_SESSION_RESET = "RESET enable_bitmapscan; RESET enable_seqscan; RESET synchronous_commit"
_TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
_UNLOCK = "SELECT pg_advisory_unlock($1)"
# The rows of the last pass (none on the first) are marked by the statement that reads the next
# ones: one round trip and one commit a pass instead of two. The read's snapshot predates the
# mark, hence `<> ALL`.
_MARK_AND_NEXT_ROWS = """
WITH marked AS (UPDATE outbox SET published_at = now() WHERE id = ANY($2::bigint[]))
SELECT id, topic, key, payload, headers::text AS headers FROM outbox
WHERE published_at IS NULL AND parked_at IS NULL AND id <> ALL($2::bigint[]) ORDER BY id LIMIT $1
"""
_MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
_PARK = "UPDATE outbox SET parked_at = now(), error = $2 WHERE id = $1"
_DELETE_PUBLISHED = "DELETE FROM outbox WHERE published_at < now() - $1::interval"
_COUNT_WAITING = """
SELECT count(*) FILTER (WHERE parked_at IS NULL) AS backlog,
       count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked
FROM outbox WHERE published_at IS NULL
"""


def relay_lock_key(service: str) -> int:
    return zlib.crc32(f"leadloop-outbox-relay:{service}".encode())


def is_unsendable(error: BaseException) -> bool:
    """Kafka will refuse this row however often it is tried. A timeout is not that: the broker or
    the topic may be back later."""
    if isinstance(error, KafkaTimeoutError):
        return False
    if isinstance(error, KafkaError):
        return not error.retriable
    return isinstance(error, ValueError | TypeError)  # e.g. a key or header that cannot be encoded


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        pool: Pool,
        topics: TopicNames,
        bootstrap_servers: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        safety_net: float = 10.0,
        retention: timedelta = timedelta(days=1),
        linger_ms: int = 5,
        pass_pace_ms: int = 0,
        request_gather_ms: int = 0,
        request_gather: int = 1,
        redact: Redactor | None = None,
    ) -> None:
        self._service = service
        self._pool = pool
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._safety_net = max(safety_net, poll_interval)
        self._retention = retention
        self._linger_ms = linger_ms
        self._pass_pace = pass_pace_ms / 1000
        self._request_gather = request_gather_ms / 1000
        self._requests_per_pass = request_gather
        self._requests = 0  # single-request commits since the last pass began
        self._go = asyncio.Event()  # the next pass need not wait for more requests
        self._redact = redact or Redactor()
        self._lock_key = relay_lock_key(service)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.producer: AIOKafkaProducer | None = None
        # sent and acknowledged, marked by the next pass: at worst (a crash first) sent twice,
        # which consumers' inboxes absorb
        self._unmarked: list[int] = []
        self.active = False  # this instance holds the lock and publishes
        self.standing_by = False  # another instance's relay holds the lock

    def wake(self, *, requests: int = 0) -> None:
        """Tell the relay that rows were committed, so it need not wait for its next poll.
        `requests`: the commit held that many single requests' rows (leads posted on their own),
        which may wait a little for others to share their pass; 0, any other commit, is not held."""
        self._requests += requests
        if not requests or self._requests >= self._requests_per_pass:
            self._go.set()
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._go.set()
        self._wake.set()

    async def run(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            client_id=f"{self._service}-relay",
            enable_idempotence=True,
            acks="all",
            # a few milliseconds of waiting lets one produce request carry many rows' messages
            linger_ms=self._linger_ms,
            max_batch_size=256 * 1024,
        )
        await producer.start()
        self.producer = producer
        backoff = 0.2
        try:
            while not self._stopping.is_set():
                try:
                    async with self._pool.acquire() as connection:
                        await connection.execute(_SESSION)
                        await connection.add_listener(OUTBOX_CHANNEL, self._on_notify)
                        try:
                            await self._publish_until_stopped(connection, producer)
                        except BaseException:
                            # a connection that failed mid-statement cannot be trusted with more:
                            # drop it (the lock goes with it) and let the pool open a new one;
                            # one the server dropped is already detached from the pool's proxy
                            with contextlib.suppress(asyncpg.InterfaceError):
                                connection.terminate()
                            raise
                        finally:
                            self._set_active(False, standing_by=False)
                        # the pool does not reset connections (leadkit.db): leave this one clean
                        await connection.remove_listener(OUTBOX_CHANNEL, self._on_notify)
                        await connection.execute(_UNLOCK, self._lock_key)
                        await connection.execute(_SESSION_RESET)
                except Exception as error:
                    # A connection the server dropped while idle can surface as asyncpg's protocol
                    # state error at the next statement; the relay has just discarded it, and a
                    # fresh one cures it, as it does a dropped connection.
                    if not (is_infrastructure_error(error) or isinstance(error, asyncpg.InternalClientError)):
                        raise
                    log.warning("database unavailable; the relay waits for it", error=repr(error))
                    await sleep_or_stop(self._stopping, backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.producer = None
            await producer.stop()

    def _on_notify(self, *_: Any) -> None:
        self._go.set()
        self._wake.set()

    async def _publish_until_stopped(self, connection: Connection, producer: AIOKafkaProducer) -> None:
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        last_pass, published = -self._pass_pace, 0
        while not self._stopping.is_set():
            # a pass soon after a short one waits out the pace: under a stream of single-row
            # commits one pass (a statement and a produce request) then carries several rows; a
            # row after a quiet spell goes at once, and a backlog is read without a pause
            early = last_pass + self._pass_pace - loop.time()
            if early > 0 and published < self._batch_size:
                await sleep_or_stop(self._stopping, early)
            gathering = last_pass + self._request_gather - loop.time()
            if gathering > 0 and published < self._batch_size and not self._go.is_set():
                await self._woken_within(gathering, self._go)
            last_pass = loop.time()
            self._wake.clear()
            self._go.clear()
            self._requests = 0
            published = await self.publish_batch(connection, producer)
            if published != STANDING_BY and loop.time() >= next_housekeeping:
                await self._housekeeping(connection)
                next_housekeeping = loop.time() + 5.0
            if published < self._batch_size:
                # the active relay is woken by every commit that wrote rows (in memory, or NOTIFY
                # from the other instances): its poll is only a safety net; one standing by tries
                # the lock every poll, as nothing tells it the holder has gone
                rest = self._poll_interval if published == STANDING_BY else self._safety_net
                if self._unmarked and published != STANDING_BY:
                    # the rows just sent are marked by the next pass; when none comes within the
                    # poll interval they are marked alone, so a published row soon reads as one
                    # (an erasure forgets the published rows; the unpublished wait for the relay)
                    if not await self._woken_within(self._poll_interval):
                        await self._mark_published(connection, self._unmarked)
                        self._unmarked = []
                        await self._woken_within(rest)
                else:
                    await self._woken_within(rest)
        if self._unmarked and self.active:
            await self._mark_published(connection, self._unmarked)
            self._unmarked = []

    async def _woken_within(self, seconds: float, event: asyncio.Event | None = None) -> bool:
        try:
            await asyncio.wait_for((event or self._wake).wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def publish_batch(self, connection: Connection, producer: AIOKafkaProducer) -> int:
        """Publish the next rows in order; the number sent, or STANDING_BY."""
        if not self.active:
            if not await connection.fetchval(_TRY_LOCK, self._lock_key):
                self._set_active(False, standing_by=True)
                return STANDING_BY
            self._set_active(True, standing_by=False)
        rows = await self._mark_and_read_next(connection)
        if not rows:
            return 0
        outcomes = await self._send(producer, rows)
        sent = [row for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
        refused = [(row, error) for row, error in zip(rows, outcomes, strict=True) if error is not None]
        retriable = [error for _, error in refused if not is_unsendable(error)]
        if retriable:  # nothing is marked: every row of the batch is tried again, in order
            raise retriable[0]
        self._unmarked = [row["id"] for row in sent]
        for row, error in refused:
            await self._park(connection, row, error)
        for row in sent:
            EVENTS_PRODUCED.labels(self._service, row["topic"]).inc()
        return len(rows)

    def _set_active(self, active: bool, *, standing_by: bool) -> None:
        self.active = active
        self.standing_by = standing_by
        RELAY_ACTIVE.labels(self._service).set(int(active))

    async def _send(self, producer: AIOKafkaProducer, rows: Sequence[Any]) -> list[BaseException | None]:
        """Each row's outcome: None when Kafka acknowledged it, else the error.

        Every row is enqueued first, in order, so the idempotent producer batches them; then the
        acknowledgements are awaited together."""
        pending: list[asyncio.Future[Any] | BaseException] = []
        for row in rows:
            try:
                pending.append(
                    await producer.send(
                        self._topics.physical(row["topic"]),
                        value=row["payload"],
                        key=row["key"].encode() if row["key"] is not None else None,
                        headers=[(name, value.encode()) for name, value in json.loads(row["headers"])],
                    )
                )
            except Exception as error:  # refused before it left: too large, an invalid topic
                pending.append(error)
        futures = [item for item in pending if not isinstance(item, BaseException)]
        results = iter(await asyncio.gather(*futures, return_exceptions=True))
        return [
            item if isinstance(item, BaseException) else _error_or_none(next(results)) for item in pending
        ]

    async def _mark_and_read_next(self, connection: Connection) -> list[Any]:
        """Mark the last pass's rows published and read the next ones, in one statement."""
        rows = await connection.fetch(_MARK_AND_NEXT_ROWS, self._batch_size, self._unmarked)
        self._unmarked = []
        return list(rows)

    async def _mark_published(self, connection: Connection, ids: list[int]) -> None:
        await connection.execute(_MARK_PUBLISHED, ids)

    async def _park(self, connection: Connection, row: Any, error: BaseException) -> None:
        reason = self._redact(f"{type(error).__name__}: {error}")[:2000]
        await connection.execute(_PARK, row["id"], reason)
        log.error(
            "outbox row parked: Kafka refuses it", outbox_id=row["id"], topic=row["topic"], error=reason
        )

    async def _housekeeping(self, connection: Connection) -> None:
        await connection.execute(_DELETE_PUBLISHED, self._retention)
        counts = await connection.fetchrow(_COUNT_WAITING)
        assert counts is not None  # an aggregate always has its row
        OUTBOX_BACKLOG.labels(self._service).set(counts["backlog"] or 0)
        OUTBOX_PARKED.labels(self._service).set(counts["parked"] or 0)


def _error_or_none(result: Any) -> BaseException | None:
    return result if isinstance(result, BaseException) else None
