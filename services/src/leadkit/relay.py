"""The outbox relay: publishes outbox rows to Kafka in row order, then marks them published.

One relay per service is active at a time (a PostgreSQL advisory lock); other instances wait.
A crash between send and mark re-sends the rows on restart: delivery is at least once, and the
consumers' inbox makes the effect exactly once.
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
from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from leadkit.messaging import OUTBOX_CHANNEL, MessagingTables
from leadkit.metrics import EVENTS_PRODUCED, OUTBOX_BACKLOG
from leadkit.supervise import sleep_or_stop
from leadkit.topics import TopicNames

log = structlog.get_logger(__name__)


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
        self._lock_key = zlib.crc32(f"leadloop-outbox-relay:{service}".encode())
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.producer: AIOKafkaProducer | None = None

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
        try:
            while not self._stopping.is_set():
                async with self._engine.connect() as lock_conn:
                    locked = await lock_conn.scalar(select(func.pg_try_advisory_lock(self._lock_key)))
                    await lock_conn.commit()  # the session-level lock outlives the transaction
                    if not locked:
                        await sleep_or_stop(self._stopping, 1.0)
                        continue
                    await self._listen(lock_conn)
                    try:
                        await self._publish_until_stopped(producer)
                    finally:
                        await lock_conn.scalar(select(func.pg_advisory_unlock(self._lock_key)))
                        await lock_conn.commit()
        finally:
            self.producer = None
            await producer.stop()

    async def _listen(self, conn: AsyncConnection) -> None:
        """Wake on NOTIFY from any instance's committed outbox rows (asyncpg's listener API)."""
        raw = await conn.get_raw_connection()
        await raw.driver_connection.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())  # type: ignore[union-attr]

    async def _publish_until_stopped(self, producer: AIOKafkaProducer) -> None:
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            published = await self.publish_batch(producer)
            if loop.time() >= next_housekeeping:
                await self._housekeeping()
                next_housekeeping = loop.time() + 5.0
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        table = self._outbox
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    select(table.c.id, table.c.topic, table.c.key, table.c.payload, table.c.headers)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            await self._send(producer, rows)
            await self._mark_published(session, [row.id for row in rows])
        for row in rows:
            EVENTS_PRODUCED.labels(self._service, row.topic).inc()
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, rows: Sequence[Row[Any, Any, Any, Any, Any]]) -> None:
        # Enqueue every row first, in order, so the idempotent producer batches them; then
        # wait for all acknowledgements together.
        pending = [
            await producer.send(
                self._topics.physical(row.topic),
                value=row.payload,
                key=row.key.encode() if row.key is not None else None,
                headers=[(name, value.encode()) for name, value in row.headers],
            )
            for row in rows
        ]
        await asyncio.gather(*pending)

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        table = self._outbox
        await session.execute(update(table).where(table.c.id.in_(ids)).values(published_at=func.now()))

    async def _housekeeping(self) -> None:
        table = self._outbox
        async with self._sessions.begin() as session:
            await session.execute(delete(table).where(table.c.published_at < func.now() - self._retention))
            backlog = await session.scalar(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(self._service).set(backlog or 0)
