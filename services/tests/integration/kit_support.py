"""What the kit's integration tests share: the real broker and database, a test table of
effects, a handler with a state change and an outgoing event, and small helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lead_schemas import LeadCaptured, LeadCapturedData, LeadScored, LeadScoredData, Person, Touch
from leadkit.consumer import ConsumerLoop, ConsumerOptions, Handler, HandlerContext
from leadkit.db import Pool, new_metadata
from leadkit.messaging import MessagingTables, Outbox, messaging_tables, write_outbox
from leadkit.testing import committed_offsets, eventually
from leadkit.topics import TopicNames

KAFKA = "127.0.0.1:9092"
DATABASE_URL = "postgresql+asyncpg://leadkit:leadkit@127.0.0.1:5432/leadkit_test?ssl=disable"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

metadata: MetaData = new_metadata()
tables: MessagingTables = messaging_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Uuid, nullable=False),
    Column("event_id", Uuid, nullable=False),
)


def captured_event(lead_id: UUID | None = None) -> LeadCaptured:
    return LeadCaptured.new(
        producer="test",
        lead_id=lead_id or uuid4(),
        correlation_id=uuid4(),
        occurred_at=NOW,
        data=LeadCapturedData(
            is_new=True, person=Person(email="a@example.com"), touch=Touch(id="t", occurred_at=NOW)
        ),
    )


async def record_and_emit(event: LeadCaptured, ctx: HandlerContext) -> None:
    """A handler with a state change and an outgoing event, like every real one (one event: see `each`)."""
    await ctx.connection.execute(
        "INSERT INTO effects (lead_id, event_id) VALUES ($1, $2)", event.lead_id, event.id
    )
    data = LeadScoredData(score=1, grade="D", fit_score=1, engagement_score=0, model_version="t", reasons=[])
    ctx.outbox.add(event.caused(LeadScored, producer="test", data=data, occurred_at=ctx.now))


OneEvent = Callable[[LeadCaptured, HandlerContext], Awaitable[None]]


def each(handle: OneEvent) -> Handler:
    """A batch handler that hands its events to `handle` one at a time, in order."""

    async def handle_all(events: Sequence[LeadCaptured], ctx: HandlerContext) -> None:
        for event in events:
            await handle(event, ctx)

    return handle_all


async def add_to_outbox(pool: Pool, outbox: Outbox) -> None:
    async with pool.acquire() as connection:
        await write_outbox(connection, outbox.rows, notify=True)


def outbox_of(*events: LeadCaptured) -> Outbox:
    outbox = Outbox()
    outbox.add(*events)
    return outbox


async def produce(topics: TopicNames, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topics.physical("lead.captured"), value=value, key=key)
    finally:
        await producer.stop()


async def committed_total(group: str) -> int:
    offsets = await committed_offsets(group, bootstrap_servers=KAFKA)
    return sum(offset for offset in offsets.values() if offset > 0)


async def run_until(loop: ConsumerLoop, done: Callable[[], Awaitable[Any]]) -> Any:
    task = asyncio.create_task(loop.run())
    try:
        return await eventually(done, within=60)
    finally:
        loop.stop()
        await asyncio.wait_for(task, timeout=30)


def consumer(
    pool: Pool,
    topics: TopicNames,
    handler: Handler | None = None,
    *,
    revoke_grace_seconds: float = 10.0,
    commit_interval_seconds: float = 0.0,
) -> ConsumerLoop:
    return ConsumerLoop(
        service="it",
        group_id="it-consumer",
        handlers={"lead.captured": handler or each(record_and_emit)},
        pool=pool,
        topics=topics,
        bootstrap_servers=KAFKA,
        options=ConsumerOptions(
            max_attempts=3,
            backoff_seconds=0.01,
            poll_timeout_ms=100,
            revoke_grace_seconds=revoke_grace_seconds,
            commit_interval_seconds=commit_interval_seconds,
        ),
    )


async def rows(sessions: async_sessionmaker[AsyncSession], table: Table, *where: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(select(table).where(*where))).all())
