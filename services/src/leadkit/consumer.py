"""The consumer loop: batches from Kafka, inbox dedup, one transaction, then the offset.

Handlers are set-based. Each poll's records, from however many partitions, are handled in one
transaction: one statement claims every event in the inbox, each handler receives all of the
poll's events for its topics at once (a handler registered for several topics gets them in one
call) and reads and writes per table, and one statement adds every outbox row. Within a
partition the events keep their order, so one lead's events arrive in order.

A message that is not a valid event goes straight to the DLQ (`leadkit.dead_letter`). When a
handler fails, the poll is retried one event at a time with backoff, so one poison event cannot
hold back the rest: after `max_attempts` it is written to `<topic>.dlq` (through the outbox) with
the error, its inbox row is marked dead-lettered, and the loop moves on. A redelivered
dead-lettered event is skipped until `replay-dlq` sends it back on purpose.

The infrastructure's errors are not the handler's: while the database is away the batch in hand
is retried with backoff, without limit and without counting an attempt, so a database restart
never dead-letters a healthy event.

Offsets are committed only after the transaction that recorded the work commits (invariant 4),
and only for partitions still assigned. A busy consumer sends them at most once per
`commit_interval_seconds` (each commit is a request the broker writes to its offsets log; what
a crash redelivers, the inbox turns into no-ops), and at once when a poll comes back empty, a
rebalance revokes partitions or the loop stops. The commit is sent without waiting for its
answer before the next poll; the next commit, a revocation and a shutdown wait for it. When a
rebalance revokes partitions, the batch in hand is finished and committed first (or, if it cannot
finish in time, abandoned and rolled back), so the next owner neither waits for it nor races it.

Past 300 lines on purpose: the loop's methods share one batch's state (the batch in hand, the
commit in flight, a revocation waiting for both) that a split would pass back and forth; the
dead-letter path is apart (`leadkit.dead_letter`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from lead_schemas import EVENT_TYPES, Envelope, parse_event
from lead_schemas.privacy import HISTORY_TOPICS, event_type_of
from leadkit.db import Connection, Pool
from leadkit.dead_letter import BatchAbandoned, DeadLetters, replay_of
from leadkit.fetch_pace import FetchPace, FetchSettings
from leadkit.infrastructure import is_infrastructure_error
from leadkit.messaging import (
    InboxClaim,
    Outbox,
    claim,
    write_outbox,
)
from leadkit.metrics import (
    CONSUMER_WAITING_FOR_DATABASE,
    EVENTS_CONSUMED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    HANDLER_SECONDS,
    REBALANCES,
)
from leadkit.redact import Redactor
from leadkit.supervise import sleep_or_stop
from leadkit.topics import TopicNames

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HandlerContext:
    """What a handler may touch: the poll's open transaction (asyncpg), its outbox, the time."""

    connection: Connection
    outbox: Outbox
    now: datetime


# Receives every new event of the poll for its topics, in order within each partition.
Handler = Callable[[Sequence[Any], HandlerContext], Awaitable[None]]
Outcome = Literal["processed", "duplicate"]


@dataclass(frozen=True)
class _Received:
    record: Any
    topic: str
    event: Envelope

    @property
    def claim(self) -> InboxClaim:
        return InboxClaim(self.event.id, self.topic, replay_of(self.record))


class PoisonEvent(Exception):
    """The message is not a valid event for its topic: retrying cannot help."""


@dataclass(frozen=True)
class ConsumerOptions:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    batch_size: int = 500
    poll_timeout_ms: int = 1000
    # A quiet pipeline gets each event within milliseconds; a busy one fills fetches instead of
    # sending one fetch request per event.
    fetch_max_wait_ms: int = 10
    fetch_min_bytes: int = 64 * 1024
    # with nothing to read for `idle_after_seconds`, one long poll instead (leadkit.fetch_pace)
    fetch_idle_wait_ms: int = 500
    idle_after_seconds: float = 1.0
    # Offsets go to Kafka at most this often under load (0: after every poll) and whenever a poll
    # comes back empty, a rebalance revokes partitions or the loop stops: each commit is a request
    # the broker writes to its offsets log, and the inbox makes a redelivery after a crash a no-op.
    commit_interval_seconds: float = 0.0
    # how long a revocation waits for the batch in hand before abandoning it; below the
    # rebalance timeout, so the member is not thrown out of the group meanwhile
    revoke_grace_seconds: float = 10.0
    rebalance_timeout_ms: int = 30_000
    max_infrastructure_backoff_seconds: float = 5.0


class ConsumerLoop:
    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        handlers: Mapping[str, Handler],
        pool: Pool,
        topics: TopicNames,
        bootstrap_servers: str,
        options: ConsumerOptions = ConsumerOptions(),
        clock: Clock = utc_now,
        on_outbox_written: Callable[[], None] = lambda: None,
        notify_relay: Callable[[], bool] = lambda: True,
        redact: Redactor | None = None,
    ) -> None:
        unknown = set(handlers) - set(EVENT_TYPES) - set(HISTORY_TOPICS)
        if unknown:
            raise ValueError(f"no event type for topics {sorted(unknown)}")
        self._service = service
        self._group_id = topics.group(group_id)
        self._handlers = dict(handlers)
        self._pool = pool
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._options = options
        self._clock = clock
        # after a commit that wrote outbox rows: wake the relay of this process
        self._on_outbox_written = on_outbox_written
        # whether the active relay may be another process's, which only a NOTIFY reaches
        self._notify_relay = notify_relay
        self._redact = redact or Redactor()  # for the DLQ headers; log lines are redacted by the formatter
        self._stopping = asyncio.Event()
        self._dead_letters = DeadLetters(
            service=service,
            group_id=self._group_id,
            pool=pool,
            topics=topics,
            redact=self._redact,
            notify_relay=notify_relay,
            on_outbox_written=on_outbox_written,
            stopping=self._stopping,
            backoff_seconds=options.backoff_seconds,
        )
        self._in_hand: asyncio.Task[None] | None = None  # the batch being handled and committed
        self._committing: asyncio.Task[None] | None = None  # the last offset commit sent
        self._uncommitted: dict[TopicPartition, int] = {}  # handled, transaction committed, offset not sent
        self._commit_sent_at = 0.0
        self._consumer: AIOKafkaConsumer | None = None
        self._abandoning = False
        self.waiting_for_database = False

    @property
    def group_id(self) -> str:
        """The consumer group, as Kafka knows it (with the topic prefix)."""
        return self._group_id

    @property
    def topics(self) -> list[str]:
        """The logical topics it consumes."""
        return sorted(self._handlers)

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then leave the group. During a database outage the
        batch cannot finish: it is abandoned (rolled back, not committed) instead."""
        self._stopping.set()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            client_id=f"{self._service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._options.batch_size,
            rebalance_timeout_ms=self._options.rebalance_timeout_ms,
            fetch_max_wait_ms=self._options.fetch_max_wait_ms,
            fetch_min_bytes=self._options.fetch_min_bytes,
        )
        consumer.subscribe(
            [self._topics.physical(topic) for topic in self._handlers], listener=_SettleOnRevoke(self)
        )
        await consumer.start()
        self._consumer = consumer
        self._commit_sent_at = time.monotonic()
        pace = FetchPace(
            streaming=FetchSettings(self._options.fetch_max_wait_ms, self._options.fetch_min_bytes),
            idle=FetchSettings(self._options.fetch_idle_wait_ms, 1),
            idle_after_seconds=self._options.idle_after_seconds,
        )
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(
                    timeout_ms=self._options.poll_timeout_ms, max_records=self._options.batch_size
                )
                pace.apply(consumer, got_records=bool(batches), now=time.monotonic())
                if not batches:
                    await self._send_offsets(consumer)  # a quiet moment: what waits goes now
                    continue
                # One transaction and one offset commit for the whole poll, not one per
                # partition: under load a poll spans many partitions, and each transaction and
                # commit is a round trip. Order within a partition is kept.
                self._in_hand = asyncio.create_task(self._handle_and_commit(consumer, batches))
                try:
                    await self._in_hand
                except BatchAbandoned:
                    if self._stopping.is_set():
                        break
                finally:
                    self._in_hand = None
            await self._send_offsets(consumer)
            await self._commit_sent()
        finally:
            self._consumer = None
            await consumer.stop()

    async def _handle_and_commit(self, consumer: AIOKafkaConsumer, batches: dict[Any, list[Any]]) -> None:
        try:
            await self._process([record for records in batches.values() for record in records])
        except asyncio.CancelledError:
            if self._abandoning:  # cancelled by the revocation, not by a shutdown
                raise BatchAbandoned from None
            raise
        self._uncommitted.update({tp: records[-1].offset + 1 for tp, records in batches.items()})
        if time.monotonic() - self._commit_sent_at >= self._options.commit_interval_seconds:
            await self._send_offsets(consumer)

    async def _send_offsets(self, consumer: AIOKafkaConsumer) -> None:
        """Send the commit of the offsets handled since the last one (without waiting for it)."""
        if not self._uncommitted:
            return
        await self._commit_sent()  # offset commits reach the broker in order
        offsets, self._uncommitted = self._uncommitted, {}
        self._commit_sent_at = time.monotonic()
        self._committing = asyncio.create_task(self._commit(consumer, offsets))

    async def _commit_sent(self) -> None:
        """Wait for the offset commit in flight, if any."""
        committing, self._committing = self._committing, None
        if committing is not None:
            await committing

    async def _settle_before_revocation(self, revoked: set[TopicPartition]) -> None:
        """Called by aiokafka before a rebalance hands partitions elsewhere: let the batch in hand
        finish and commit, or abandon it when it cannot finish in time (the database is away)."""
        if revoked:  # the first join revokes nothing
            REBALANCES.labels(self._service).inc()
        in_hand = self._in_hand
        if in_hand is None or in_hand.done():
            await self._offsets_settled()
            return
        log.info("partitions revoked mid-batch; finishing it first", partitions=sorted(map(str, revoked)))
        finished, _ = await asyncio.wait([in_hand], timeout=self._options.revoke_grace_seconds)
        if not finished:
            log.warning("batch abandoned to a rebalance; it is rolled back and redelivered")
            self._abandoning = True
            in_hand.cancel()
            await asyncio.wait([in_hand])
            self._abandoning = False
        await self._offsets_settled()

    async def _offsets_settled(self) -> None:
        """Every handled offset committed, before the partitions go to their next owner."""
        if self._consumer is not None:
            await self._send_offsets(self._consumer)
        await self._commit_sent()

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        assigned = consumer.assignment()
        kept = {tp: offset for tp, offset in offsets.items() if tp in assigned}
        if len(kept) < len(offsets):
            log.warning(
                "offsets of revoked partitions not committed; their next owner skips what was handled",
                partitions=sorted(str(tp) for tp in offsets if tp not in assigned),
            )
        try:
            await consumer.commit(kept)
        except (CommitFailedError, IllegalStateError) as error:
            # A partition moved to another member mid-batch; it will redeliver from the last
            # committed offset and the inbox turns that into a no-op.
            log.warning(
                "offset commit lost to a rebalance", partitions=sorted(map(str, kept)), error=repr(error)
            )

    async def _process(self, records: list[Any]) -> None:
        received: list[_Received | tuple[Any, PoisonEvent]] = []
        for record in records:
            topic = self._topics.logical(record.topic)
            try:
                received.append(_Received(record, topic, self._decode(topic, record.value)))
            except PoisonEvent as error:
                received.append((record, error))
        if any(isinstance(one, tuple) for one in received):
            # rare: one by one, so the DLQ keeps the partition's order
            for one in received:
                if isinstance(one, tuple):
                    await self._dead_letters.write(*one, attempts=1)  # no retry can make it an event
                else:
                    await self._process_alone(one)
            return
        await self._process_decoded([one for one in received if isinstance(one, _Received)])

    async def _process_decoded(self, received: list[_Received]) -> None:
        try:
            outcomes = await self._transaction_despite_outages(received)
        except BatchAbandoned:
            raise
        except Exception as error:
            log.warning(
                "batch failed; retrying its events one by one", events=len(received), error=repr(error)
            )
            for one in received:
                await self._process_alone(one)
            return
        for one, outcome in zip(received, outcomes, strict=True):
            self._count(one.topic, outcome)

    async def _transaction(self, received: list[_Received]) -> list[Outcome]:
        outbox = Outbox()
        async with self._pool.acquire() as connection, connection.transaction():
            # an event delivered twice within one poll is claimed once: the later copy is a duplicate
            first_copy = {one.event.id: one for one in reversed(received)}
            fresh = await claim(connection, [one.claim for one in first_copy.values()])
            new = [one for one in received if one.event.id in fresh and first_copy[one.event.id] is one]
            context = HandlerContext(connection=connection, outbox=outbox, now=self._clock())
            for handler, topics, events in self._grouped(new):
                with HANDLER_SECONDS.labels(self._service, topics).time():
                    await handler(events, context)
            await write_outbox(connection, outbox.rows, notify=bool(outbox) and self._notify_relay())
        if outbox:
            self._on_outbox_written()
        handled = {id(one) for one in new}
        return ["processed" if id(one) in handled else "duplicate" for one in received]

    def _grouped(self, received: list[_Received]) -> list[tuple[Handler, str, list[Envelope]]]:
        """Each handler with its events in poll order, and the topics they came from."""
        groups: dict[int, tuple[Handler, set[str], list[Envelope]]] = {}
        for one in received:
            handler = self._handlers[one.topic]
            _, topics, events = groups.setdefault(id(handler), (handler, set(), []))
            topics.add(one.topic)
            events.append(one.event)
        return [(handler, ",".join(sorted(topics)), events) for handler, topics, events in groups.values()]

    async def _transaction_despite_outages(self, received: list[_Received]) -> list[Outcome]:
        """`received` in one transaction, retried with backoff and without limit while the
        infrastructure fails it. Any other error is the handler's, and propagates."""
        backoff = self._options.backoff_seconds
        try:
            while True:
                try:
                    return await self._transaction(received)
                except Exception as error:
                    if not is_infrastructure_error(error):
                        raise
                    self._waiting(True)
                    log.warning(
                        "database unavailable; the batch waits for it",
                        events=len(received),
                        retry_in=backoff,
                        error=repr(error),
                    )
                await sleep_or_stop(self._stopping, backoff)
                if self._stopping.is_set():
                    raise BatchAbandoned("stopping while the database is away")
                backoff = min(backoff * 2, self._options.max_infrastructure_backoff_seconds)
        finally:
            self._waiting(False)

    def _waiting(self, waiting: bool) -> None:
        self.waiting_for_database = waiting
        CONSUMER_WAITING_FOR_DATABASE.labels(self._service).set(int(waiting))

    async def _process_alone(self, one: _Received) -> None:
        error: BaseException | None = None
        attempt = 0
        for attempt in range(1, self._options.max_attempts + 1):
            try:
                (outcome,) = await self._transaction_despite_outages([one])
                self._count(one.topic, outcome)
                return
            except PoisonEvent as exc:
                error = exc
                break
            except BatchAbandoned:
                raise
            except Exception as exc:
                error = exc
                EVENTS_FAILED.labels(self._service, one.topic).inc()
                log.warning(
                    "handler failed",
                    topic=one.topic,
                    offset=one.record.offset,
                    lead_id=str(one.event.lead_id),
                    event_id=str(one.event.id),
                    attempt=attempt,
                    error=repr(exc),
                )
                if attempt < self._options.max_attempts:
                    await asyncio.sleep(self._options.backoff_seconds * 2 ** (attempt - 1))
        assert error is not None
        await self._dead_letters.write(one.record, error, attempt)

    @staticmethod
    def _decode(topic: str, value: bytes | None) -> Envelope:
        if value is None:
            raise PoisonEvent("empty message")
        try:
            event = parse_event(value)
        except ValueError as exc:
            raise PoisonEvent(f"not a valid event: {exc}") from exc
        if event.type != event_type_of(topic):
            raise PoisonEvent(f"event of type {event.type!r} on topic {topic!r}")
        return event

    def _count(self, topic: str, outcome: Outcome) -> None:
        if outcome == "duplicate":
            EVENTS_DUPLICATE.labels(self._service, topic).inc()
        else:
            EVENTS_CONSUMED.labels(self._service, topic).inc()


class _SettleOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ConsumerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._loop._settle_before_revocation(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned", partitions=len(assigned))
