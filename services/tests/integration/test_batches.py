"""Set-based handlers: what one poll hands a handler, and how a failing poll falls back."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from kit_support import (
    captured_event,
    committed_total,
    consumer,
    effects,
    produce,
    record_and_emit,
    rows,
    run_until,
    tables,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lead_schemas import LeadCaptured
from leadkit.consumer import HandlerContext
from leadkit.db import Pool
from leadkit.topics import TopicNames


async def test_a_poll_with_an_event_twice_hands_the_handler_each_event_once_in_order(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    lead_id = uuid4()
    first, second = captured_event(lead_id), captured_event(lead_id)
    key = str(lead_id).encode()
    # one partition (one key), all there before the consumer starts: they come in one poll
    await produce(
        topics,
        [(key, e.model_dump_json().encode()) for e in (first, first, second, first)],
    )
    calls: list[list[UUID]] = []

    async def records_its_batches(events: Sequence[LeadCaptured], ctx: HandlerContext) -> None:
        calls.append([event.id for event in events])
        for event in events:
            await record_and_emit(event, ctx)

    async def all_committed() -> None:
        assert await committed_total(topics.group("it-consumer")) == 4

    await run_until(consumer(pool, topics, handler=records_its_batches), all_committed)
    assert [event_id for call in calls for event_id in call] == [first.id, second.id]
    handled = await rows(sessions, effects, effects.c.lead_id == lead_id)
    assert sorted(row.event_id for row in handled) == sorted([first.id, second.id])
    emitted = await rows(
        sessions, tables.outbox, tables.outbox.c.key == str(lead_id), tables.outbox.c.topic == "lead.scored"
    )
    assert len(emitted) == 2


async def test_a_poll_mixing_good_and_poison_events_handles_the_good_and_dead_letters_the_poison(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    good = [captured_event() for _ in range(4)]
    poison = captured_event()
    messages = [(str(e.lead_id).encode(), e.model_dump_json().encode()) for e in good[:2]]
    messages += [(str(poison.lead_id).encode(), poison.model_dump_json().encode())]
    messages += [(b"junk", b"\x00not an event")]
    messages += [(str(e.lead_id).encode(), e.model_dump_json().encode()) for e in good[2:]]
    await produce(topics, messages)
    batch_sizes: list[int] = []

    async def fails_whenever_the_poison_is_in_it(events: Sequence[LeadCaptured], ctx: HandlerContext) -> None:
        batch_sizes.append(len(events))
        if any(event.id == poison.id for event in events):
            raise RuntimeError("cannot handle this one")
        for event in events:
            await record_and_emit(event, ctx)

    async def all_committed() -> None:
        assert await committed_total(topics.group("it-consumer")) == 6

    await run_until(consumer(pool, topics, handler=fails_whenever_the_poison_is_in_it), all_committed)
    handled = await rows(sessions, effects, effects.c.event_id.in_([e.id for e in good]))
    assert sorted(row.event_id for row in handled) == sorted(e.id for e in good)
    dead = await rows(sessions, tables.outbox, tables.outbox.c.topic == "lead.captured.dlq")
    errors = sorted(dict(map(tuple, row.headers))["dlq.error"].split(":")[0] for row in dead)
    assert errors == ["PoisonEvent", "RuntimeError"]
    (inbox_row,) = await rows(sessions, tables.inbox, tables.inbox.c.event_id == poison.id)
    assert inbox_row.status == "dead_lettered"
