"""The consumer loop: batches from Kafka, inbox dedup, one transaction, then the offset.

Each poll's records, from however many partitions, are handled in one transaction (throughput).
When that transaction fails, the batch is retried one event at a time with backoff, so one
poison event cannot hold back the rest: after `max_attempts` it is written to `<topic>.dlq`
(through the outbox) with the error, its inbox row is marked dead-lettered, and the loop moves
on. Offsets are committed only after the transaction that recorded the work commits
(invariant 4).
"""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lead_schemas import EVENT_TYPES, Envelope, parse_event
from leadkit.messaging import MessagingTables, Outbox, claim
from leadkit.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_FAILED,
    HANDLER_SECONDS,
)
from leadkit.topics import TopicNames, dlq_of

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HandlerContext:
    """What a handler may touch: the open transaction, its outbox, and the time."""

    session: AsyncSession
    outbox: Outbox
    now: datetime


Handler = Callable[[Any, HandlerContext], Awaitable[None]]
Outcome = Literal["processed", "duplicate"]


class PoisonEvent(Exception):
    """The message is not a valid event for its topic: retrying cannot help."""


@dataclass(frozen=True)
class ConsumerOptions:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    batch_size: int = 500
    poll_timeout_ms: int = 500


class ConsumerLoop:
    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        handlers: Mapping[str, Handler],
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        topics: TopicNames,
        bootstrap_servers: str,
        options: ConsumerOptions = ConsumerOptions(),
        clock: Clock = utc_now,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        unknown = set(handlers) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"no event type for topics {sorted(unknown)}")
        self._service = service
        self._group_id = topics.group(group_id)
        self._handlers = dict(handlers)
        self._sessions = sessions
        self._tables = tables
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._options = options
        self._clock = clock
        self._on_commit = on_commit
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Finish the batch in hand, commit it, then leave the group."""
        self._stopping.set()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            *(self._topics.physical(topic) for topic in self._handlers),
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            client_id=f"{self._service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._options.batch_size,
        )
        await consumer.start()
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(
                    timeout_ms=self._options.poll_timeout_ms, max_records=self._options.batch_size
                )
                if not batches:
                    continue
                # One transaction and one offset commit for the whole poll, not one per
                # partition: under load a poll spans many partitions, and each transaction and
                # commit is a round trip. Order within a partition is kept.
                await self._process([record for records in batches.values() for record in records])
                self._on_commit()
                await self._commit(consumer, {tp: records[-1].offset + 1 for tp, records in batches.items()})
        finally:
            await consumer.stop()

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await consumer.commit(offsets)
        except CommitFailedError:
            # A partition moved to another member mid-batch; it will redeliver from the last
            # committed offset and the inbox turns that into a no-op.
            log.warning("offset commit lost to a rebalance", partitions=sorted(map(str, offsets)))

    async def _process(self, records: list[Any]) -> None:
        try:
            async with self._sessions.begin() as session:
                outcomes = [await self._apply(session, record) for record in records]
        except Exception:
            for record in records:
                await self._process_alone(record)
            return
        for record, outcome in zip(records, outcomes, strict=True):
            self._count(record, outcome)

    async def _process_alone(self, record: Any) -> None:
        topic = self._topics.logical(record.topic)
        error: BaseException | None = None
        attempt = 0
        for attempt in range(1, self._options.max_attempts + 1):
            try:
                async with self._sessions.begin() as session:
                    outcome = await self._apply(session, record)
                self._count(record, outcome)
                return
            except PoisonEvent as exc:
                error = exc
                break
            except Exception as exc:
                error = exc
                EVENTS_FAILED.labels(self._service, topic).inc()
                log.warning(
                    "handler failed", topic=topic, offset=record.offset, attempt=attempt, error=repr(exc)
                )
                if attempt < self._options.max_attempts:
                    await asyncio.sleep(self._options.backoff_seconds * 2 ** (attempt - 1))
        assert error is not None
        await self._dead_letter(record, error, attempt)

    async def _apply(self, session: AsyncSession, record: Any) -> Outcome:
        topic = self._topics.logical(record.topic)
        event = self._decode(topic, record.value)
        if not await claim(session, self._tables, event_id=event.id, topic=topic):
            return "duplicate"
        with structlog.contextvars.bound_contextvars(
            lead_id=str(event.lead_id),
            correlation_id=str(event.correlation_id),
            causation_id=str(event.causation_id) if event.causation_id else None,
            event_id=str(event.id),
        ):
            context = HandlerContext(session=session, outbox=Outbox(session, self._tables), now=self._clock())
            with HANDLER_SECONDS.labels(self._service, topic).time():
                await self._handlers[topic](event, context)
            log.debug("event handled", topic=topic)
        return "processed"

    @staticmethod
    def _decode(topic: str, value: bytes | None) -> Envelope:
        if value is None:
            raise PoisonEvent("empty message")
        try:
            event = parse_event(value)
        except ValueError as exc:
            raise PoisonEvent(f"not a valid event: {exc}") from exc
        if event.type != topic:
            raise PoisonEvent(f"event of type {event.type!r} on topic {topic!r}")
        return event

    async def _dead_letter(self, record: Any, error: BaseException, attempts: int) -> None:
        topic = self._topics.logical(record.topic)
        event_id = _event_id_of(record.value)
        headers = [(name, value.decode("utf-8", "replace")) for name, value in record.headers or ()]
        headers += [
            ("dlq.error", f"{type(error).__name__}: {error}"[:2000]),
            ("dlq.traceback", "".join(traceback.format_exception(error))[-4000:]),
            ("dlq.original_topic", topic),
            ("dlq.partition", str(record.partition)),
            ("dlq.offset", str(record.offset)),
            ("dlq.consumer_group", self._group_id),
            ("dlq.attempts", str(attempts)),
        ]
        backoff = self._options.backoff_seconds
        while True:  # never move past an event that is neither handled nor dead-lettered
            try:
                async with self._sessions.begin() as session:
                    if event_id is not None:
                        await claim(
                            session, self._tables, event_id=event_id, topic=topic, status="dead_lettered"
                        )
                    await Outbox(session, self._tables).add_raw(
                        topic=dlq_of(topic),
                        key=record.key.decode("utf-8", "replace") if record.key else None,
                        payload=record.value or b"",
                        headers=headers,
                    )
                break
            except Exception:
                log.exception("could not write to the DLQ; retrying", topic=topic, offset=record.offset)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
        EVENTS_DEAD_LETTERED.labels(self._service, topic).inc()
        log.error(
            "event dead-lettered",
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            error=repr(error),
        )

    def _count(self, record: Any, outcome: Outcome) -> None:
        topic = self._topics.logical(record.topic)
        if outcome == "duplicate":
            EVENTS_DUPLICATE.labels(self._service, topic).inc()
        else:
            EVENTS_CONSUMED.labels(self._service, topic).inc()


def _event_id_of(value: bytes | None) -> UUID | None:
    """The envelope id of a message that may not be a valid event, when it has one."""
    try:
        decoded = json.loads(value or b"")
        return UUID(str(decoded["id"])) if isinstance(decoded, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
