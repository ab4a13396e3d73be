"""The outbox relay: publishes outbox rows to Kafka in row order, then marks them published.

One relay per service publishes at a time. Every publish batch takes a transaction-level advisory
lock first, in the very transaction that selects, sends and marks its rows: the lock cannot
outlive that transaction or be lost unnoticed on an idle connection, so two instances never
publish one key's events side by side, out of order. The other instances find the lock taken
and stand by.

A crash between send and mark re-sends the rows on restart: delivery is at least once, and the
consumers' inbox makes the effect exactly once. A row Kafka refuses for good (too large, an
invalid topic) is parked with its error instead of blocking every row behind it; operators see it
in `leadloop_outbox_parked` and `python -m leadkit.admin outbox parked SERVICE`.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError
from sqlalchemy import Row, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from leadkit.infrastructure import is_infrastructure_error
from leadkit.messaging import OUTBOX_CHANNEL, MessagingTables
from leadkit.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG, OUTBOX_PARKED, RELAY_ACTIVE
from leadkit.redact import Redactor
from leadkit.supervise import sleep_or_stop
from leadkit.topics import TopicNames

log = structlog.get_logger(__name__)
STANDING_BY = -1  # what publish_batch returns when another instance's relay holds the lock
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(bindparam("key"))


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
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        topics: TopicNames,
        bootstrap_servers: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        retention: timedelta = timedelta(days=1),
        redact: Redactor | None = None,
    ) -> None:
        self._service = service
        self._engine = engine
        self._sessions = sessions
        self._outbox = tables.outbox
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._retention = retention
        self._redact = redact or Redactor()
        self._lock_key = relay_lock_key(service)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.producer: AIOKafkaProducer | None = None
        self.standing_by = False  # the last batch found another instance's relay publishing

    def wake(self) -> None:
        """Tell the relay that rows were committed, so it need not wait for its next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            client_id=f"{self._service}-relay",
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
        )
        await producer.start()
        self.producer = producer
        backoff = 0.2
        try:
            while not self._stopping.is_set():
                try:
                    # this connection only listens for wake-ups; the poll interval covers its gaps
                    async with self._engine.connect() as listen_conn:
                        await self._listen(listen_conn)
                        await self._publish_until_stopped(producer)
                except Exception as error:
                    if not is_infrastructure_error(error):
                        raise
                    log.warning("database unavailable; the relay waits for it", error=repr(error))
                    await sleep_or_stop(self._stopping, backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.producer = None
            await producer.stop()

    async def _listen(self, conn: AsyncConnection) -> None:
        """Wake on NOTIFY from any instance's committed outbox rows (asyncpg's listener API)."""
        raw = await conn.get_raw_connection()
        await raw.driver_connection.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())  # type: ignore[union-attr]
        await conn.commit()

    async def _publish_until_stopped(self, producer: AIOKafkaProducer) -> None:
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            published = await self.publish_batch(producer)
            if published != STANDING_BY and loop.time() >= next_housekeeping:
                await self._housekeeping()
                next_housekeeping = loop.time() + 5.0
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Publish the next rows in order; the number sent, or STANDING_BY."""
        table = self._outbox
        async with self._sessions.begin() as session:
            if not await session.scalar(_TRY_LOCK, {"key": self._lock_key}):
                self._standing_by(True)
                return STANDING_BY
            self._standing_by(False)
            rows = (
                await session.execute(
                    select(table.c.id, table.c.topic, table.c.key, table.c.payload, table.c.headers)
                    .where(table.c.published_at.is_(None), table.c.parked_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            outcomes = await self._send(producer, rows)
            sent = [row for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
            refused = [(row, error) for row, error in zip(rows, outcomes, strict=True) if error is not None]
            retriable = [error for _, error in refused if not is_unsendable(error)]
            if retriable:  # roll back: every row of the batch is tried again, in order
                raise retriable[0]
            await self._mark_published(session, [row.id for row in sent])
            for row, error in refused:
                await self._park(session, row, error)
        for row in sent:
            EVENTS_PRODUCED.labels(self._service, row.topic).inc()
        return len(rows)

    def _standing_by(self, standing_by: bool) -> None:
        self.standing_by = standing_by
        RELAY_ACTIVE.labels(self._service).set(0 if standing_by else 1)

    async def _send(
        self, producer: AIOKafkaProducer, rows: Sequence[Row[Any, Any, Any, Any, Any]]
    ) -> list[BaseException | None]:
        """Each row's outcome: None when Kafka acknowledged it, else the error.

        Every row is enqueued first, in order, so the idempotent producer batches them; then the
        acknowledgements are awaited together."""
        pending: list[asyncio.Future[Any] | BaseException] = []
        for row in rows:
            try:
                pending.append(
                    await producer.send(
                        self._topics.physical(row.topic),
                        value=row.payload,
                        key=row.key.encode() if row.key is not None else None,
                        headers=[(name, value.encode()) for name, value in row.headers],
                    )
                )
            except Exception as error:  # refused before it left: too large, an invalid topic
                pending.append(error)
        futures = [item for item in pending if not isinstance(item, BaseException)]
        results = iter(await asyncio.gather(*futures, return_exceptions=True))
        return [
            item if isinstance(item, BaseException) else _error_or_none(next(results)) for item in pending
        ]

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        table = self._outbox
        await session.execute(update(table).where(table.c.id.in_(ids)).values(published_at=func.now()))

    async def _park(
        self, session: AsyncSession, row: Row[Any, Any, Any, Any, Any], error: BaseException
    ) -> None:
        table = self._outbox
        reason = self._redact(f"{type(error).__name__}: {error}")[:2000]
        await session.execute(
            update(table).where(table.c.id == row.id).values(parked_at=func.now(), error=reason)
        )
        log.error("outbox row parked: Kafka refuses it", outbox_id=row.id, topic=row.topic, error=reason)

    async def _housekeeping(self) -> None:
        table = self._outbox
        async with self._sessions.begin() as session:
            await session.execute(delete(table).where(table.c.published_at < func.now() - self._retention))
            backlog, parked = (
                await session.execute(
                    select(
                        func.count().filter(table.c.parked_at.is_(None)),
                        func.count().filter(table.c.parked_at.is_not(None)),
                    ).where(table.c.published_at.is_(None))
                )
            ).one()
        OUTBOX_BACKLOG.labels(self._service).set(backlog or 0)
        OUTBOX_PARKED.labels(self._service).set(parked or 0)


def _error_or_none(result: Any) -> BaseException | None:
    return result if isinstance(result, BaseException) else None
