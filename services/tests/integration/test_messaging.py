"""The kit against the real PostgreSQL and Kafka: inbox dedup, dead-lettering, relay crashes.

Each test gets topics under its own prefix, so tests share the broker without seeing each other.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from kit_support import (
    KAFKA,
    add_to_outbox,
    captured_event,
    committed_total,
    consumer,
    each,
    effects,
    outbox_of,
    produce,
    record_and_emit,
    rows,
    run_until,
    tables,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lead_schemas import LeadCaptured
from leadkit.consumer import ConsumerLoop, HandlerContext
from leadkit.db import Pool
from leadkit.relay import OutboxRelay
from leadkit.testing import TopicTail
from leadkit.topics import TopicNames


async def test_an_event_delivered_twice_changes_state_once_and_emits_once(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    event = captured_event()
    raw = event.model_dump_json().encode()
    await produce(topics, [(str(event.lead_id).encode(), raw)] * 2)

    async def both_deliveries_committed() -> None:
        assert await committed_total(topics.group("it-consumer")) == 2

    await run_until(consumer(pool, topics), both_deliveries_committed)

    assert len(await rows(sessions, effects, effects.c.event_id == event.id)) == 1
    emitted = await rows(sessions, tables.outbox, tables.outbox.c.key == str(event.lead_id))
    assert [row.topic for row in emitted] == ["lead.scored", "lead.scored.history"]  # and its twin


async def test_a_poison_event_goes_to_the_dlq_and_the_next_event_is_still_processed(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool, engine: AsyncEngine
) -> None:
    lead_id = uuid4()
    key = str(lead_id).encode()
    failing, good = captured_event(lead_id), captured_event(lead_id)

    async def fails_on_one_event(event: LeadCaptured, ctx: HandlerContext) -> None:
        if event.id == failing.id:
            raise RuntimeError("cannot handle this one")
        await record_and_emit(event, ctx)

    # same key, so all three sit on one partition in this order: the good one comes last
    await produce(
        topics,
        [
            (key, failing.model_dump_json().encode()),
            (key, b"{not json"),
            (key, good.model_dump_json().encode()),
        ],
    )
    loop = consumer(pool, topics, handler=each(fails_on_one_event))

    async def good_one_handled() -> None:
        assert await rows(sessions, effects, effects.c.event_id == good.id)
        assert await committed_total(topics.group("it-consumer")) == 3

    await run_until(loop, good_one_handled)

    dead = await rows(sessions, tables.outbox, tables.outbox.c.topic == "lead.captured.dlq")
    assert len(dead) == 2
    headers = [dict(map(tuple, row.headers)) for row in dead]  # in the partition's order
    assert headers[0]["dlq.error"] == "RuntimeError: cannot handle this one"
    assert headers[1]["dlq.error"].startswith("PoisonEvent: not a valid event")
    assert [h["dlq.attempts"] for h in headers] == ["3", "1"]
    (inbox_row,) = await rows(sessions, tables.inbox, tables.inbox.c.event_id == failing.id)
    assert inbox_row.status == "dead_lettered"

    # and the relay puts them on the dead-letter topic with the error attached
    tail = await TopicTail(topics.physical("lead.captured.dlq")).start()
    relay = OutboxRelay(service="it", pool=pool, topics=topics, bootstrap_servers=KAFKA)
    relay_task = asyncio.create_task(relay.run())
    try:
        published = await tail.wait_for(lambda m: m.key == key, count=2)
    finally:
        relay.stop()
        await relay_task
        await tail.stop()
    assert published[1].value == b"{not json"
    assert dict(published[0].headers)["dlq.error"] == b"RuntimeError: cannot handle this one"


class CrashAfterSend(OutboxRelay):
    """A relay that dies after Kafka acknowledged the batch but before it was marked published."""

    async def _mark_and_read_next(self, connection: Any) -> list[Any]:
        if self._unmarked:  # the rows sent by the pass before: this statement would mark them
            raise RuntimeError("relay killed between send and mark")
        return await super()._mark_and_read_next(connection)

    async def _mark_published(self, connection: Any, ids: list[int]) -> None:
        raise RuntimeError("relay killed between send and mark")


async def test_a_relay_killed_between_send_and_mark_loses_nothing_and_doubles_no_effect(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool, engine: AsyncEngine
) -> None:
    lead_ids = [uuid4() for _ in range(4)]
    events = [captured_event(lead_ids[i % 4]) for i in range(20)]
    await add_to_outbox(pool, outbox_of(*events))
    tail = await TopicTail(topics.physical("lead.captured")).start()
    relay_args: dict[str, Any] = {
        "service": "it",
        "pool": pool,
        "topics": topics,
        "bootstrap_servers": KAFKA,
    }

    with pytest.raises(RuntimeError, match="killed"):
        await CrashAfterSend(**relay_args).run()
    await tail.wait_for(lambda m: True, count=20)  # sent before the crash

    relay = OutboxRelay(**relay_args)
    relay_task = asyncio.create_task(relay.run())
    try:
        await tail.wait_for(lambda m: True, count=40)  # sent again: at least once
    finally:
        relay.stop()
        await relay_task
    await tail.stop()
    unpublished = await rows(
        sessions,
        tables.outbox,
        tables.outbox.c.published_at.is_(None),
        tables.outbox.c.topic == "lead.captured",
    )
    assert unpublished == []

    # one lead's events come out in the order they were written, on both attempts
    ids_by_key: dict[bytes, list[str]] = {}
    for message in tail.messages:
        ids_by_key.setdefault(message.key, []).append(LeadCaptured.model_validate_json(message.value).id.hex)
    for lead_id in lead_ids:
        written = [e.id.hex for e in events if e.lead_id == lead_id]
        assert ids_by_key[str(lead_id).encode()] == written + written

    async def every_delivery_committed() -> None:
        assert await committed_total(topics.group("it-consumer")) == 40

    await run_until(consumer(pool, topics), every_delivery_committed)
    async with sessions() as session:
        handled = await session.scalar(
            select(func.count(func.distinct(effects.c.event_id))).where(effects.c.lead_id.in_(lead_ids))
        )
        total = await session.scalar(select(func.count()).where(effects.c.lead_id.in_(lead_ids)))
    assert (handled, total) == (20, 20)


@dataclass
class MidBatch:
    """A consumer caught mid-batch: its handler recorded the first event's effect and waits."""

    lead_id: UUID
    events: list[LeadCaptured]
    loop: ConsumerLoop
    task: asyncio.Task[None]
    gate: asyncio.Event


async def caught_mid_batch(pool: Pool, topics: TopicNames) -> MidBatch:
    lead_id = uuid4()
    events = [captured_event(lead_id) for _ in range(3)]
    await produce(topics, [(str(lead_id).encode(), e.model_dump_json().encode()) for e in events])
    gate, entered = asyncio.Event(), asyncio.Event()

    async def waits_at_the_gate(event: LeadCaptured, ctx: HandlerContext) -> None:
        await record_and_emit(event, ctx)
        entered.set()
        await gate.wait()

    loop = consumer(pool, topics, handler=each(waits_at_the_gate))
    task = asyncio.create_task(loop.run())
    await asyncio.wait_for(entered.wait(), timeout=60)
    return MidBatch(lead_id, events, loop, task, gate)


async def test_stopping_mid_batch_finishes_and_commits_the_batch_in_hand(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    caught = await caught_mid_batch(pool, topics)
    lead_id = caught.lead_id

    caught.loop.stop()  # what the service's shutdown does on SIGTERM
    caught.gate.set()
    await asyncio.wait_for(caught.task, timeout=30)

    handled = await rows(sessions, effects, effects.c.lead_id == lead_id)
    emitted = await rows(
        sessions, tables.outbox, tables.outbox.c.key == str(lead_id), tables.outbox.c.topic == "lead.scored"
    )
    # the batch in hand finished: every event it handled is recorded, emitted and committed
    assert len(handled) >= 1
    assert len(emitted) == len(handled)
    assert await committed_total(topics.group("it-consumer")) == len(handled)


async def test_a_batch_cut_off_mid_flight_rolls_back_whole_and_is_handled_once_later(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    caught = await caught_mid_batch(pool, topics)
    lead_id = caught.lead_id

    caught.task.cancel()  # what happens when the shutdown grace runs out
    with pytest.raises(asyncio.CancelledError):
        await caught.task

    event_ids = [e.id for e in caught.events]
    assert await rows(sessions, effects, effects.c.lead_id == lead_id) == []
    assert await rows(sessions, tables.inbox, tables.inbox.c.event_id.in_(event_ids)) == []
    assert await rows(sessions, tables.outbox, tables.outbox.c.key == str(lead_id)) == []
    assert await committed_total(topics.group("it-consumer")) == 0

    async def all_handled() -> None:
        assert await committed_total(topics.group("it-consumer")) == 3

    await run_until(consumer(pool, topics), all_handled)
    handled = await rows(sessions, effects, effects.c.lead_id == lead_id)
    assert sorted(row.event_id for row in handled) == sorted(event_ids)


async def test_a_busy_consumer_commits_its_offsets_once_its_poll_comes_back_empty(
    topics: TopicNames, pool: Pool
) -> None:
    events = [captured_event() for _ in range(5)]
    await produce(topics, [(str(e.lead_id).encode(), e.model_dump_json().encode()) for e in events])
    # an hour between commits under load: only the quiet poll after the events sends them
    loop = consumer(pool, topics, commit_interval_seconds=3600)

    async def all_committed() -> None:
        assert await committed_total(topics.group("it-consumer")) == 5

    await run_until(loop, all_committed)
