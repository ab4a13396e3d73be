"""The kit when the world misbehaves, on the real PostgreSQL and Kafka: the database drops the
consumer's connections, a dead-lettered event is redelivered, a rebalance lands mid-batch, a
relay loses its database connections, Kafka refuses a row for good."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from kit_support import (
    DATABASE_URL,
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
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lead_schemas import LeadCaptured
from leadkit.admin import parked_rows, unpark_rows
from leadkit.consumer import HandlerContext
from leadkit.db import Pool, create_engine
from leadkit.kafka_groups import replay_dead_letters
from leadkit.relay import OutboxRelay, relay_lock_key
from leadkit.testing import TopicTail, eventually
from leadkit.topics import TopicNames


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_database_that_drops_the_consumer_is_waited_out_and_nothing_is_dead_lettered(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool
) -> None:
    """More dropped connections than `max_attempts` (3): none counts, the event is handled."""
    event = captured_event()
    drops = 0

    async def the_database_drops_us_six_times(event: LeadCaptured, ctx: HandlerContext) -> None:
        nonlocal drops
        if drops < 6:
            drops += 1
            # what a database restart does to a connection in the middle of a transaction
            await ctx.connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        await record_and_emit(event, ctx)

    failed_before = metric("leadloop_events_failed_total", service="it", topic="lead.captured")
    await produce(topics, [(str(event.lead_id).encode(), event.model_dump_json().encode())])
    loop = consumer(pool, topics, handler=each(the_database_drops_us_six_times))

    async def handled_and_committed() -> None:
        assert await rows(sessions, effects, effects.c.event_id == event.id)
        assert await committed_total(topics.group("it-consumer")) == 1

    await run_until(loop, handled_and_committed)
    assert drops == 6
    assert await rows(sessions, tables.outbox, tables.outbox.c.topic == "lead.captured.dlq") == []
    (inbox_row,) = await rows(sessions, tables.inbox, tables.inbox.c.event_id == event.id)
    assert inbox_row.status == "processed"
    assert metric("leadloop_events_failed_total", service="it", topic="lead.captured") == failed_before
    assert not loop.waiting_for_database


async def test_a_dead_lettered_event_runs_again_only_when_replayed(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool, engine: AsyncEngine
) -> None:
    lead_id = uuid4()
    failing, marker = captured_event(lead_id), captured_event(lead_id)
    calls: list[Any] = []
    broken = True

    async def fails_while_broken(event: LeadCaptured, ctx: HandlerContext) -> None:
        if event.id == failing.id:
            calls.append(event.id)
            if broken:
                raise RuntimeError("a bug in the handler")
        await record_and_emit(event, ctx)

    key, raw = str(lead_id).encode(), failing.model_dump_json().encode()
    # the event, then Kafka redelivers it (a rebalance, a crash before the commit), then a marker
    await produce(topics, [(key, raw), (key, raw), (key, marker.model_dump_json().encode())])

    async def marker_handled() -> None:
        assert await rows(sessions, effects, effects.c.event_id == marker.id)
        assert await committed_total(topics.group("it-consumer")) == 3

    await run_until(consumer(pool, topics, handler=each(fails_while_broken)), marker_handled)
    dead = await rows(sessions, tables.outbox, tables.outbox.c.topic == "lead.captured.dlq")
    assert len(dead) == 1  # dead-lettered once; the redelivery did not run or dead-letter again
    attempts = len(calls)
    # the batch try, then three tries alone, however the polls split; none for the redelivery
    assert attempts == 4

    # an operator fixes the bug, the relay has published the DLQ, and replays it
    broken = False
    dlq_tail = await TopicTail(topics.physical("lead.captured.dlq")).start()
    relay = OutboxRelay(service="it", pool=pool, topics=topics, bootstrap_servers=KAFKA)
    relay_task = asyncio.create_task(relay.run())
    try:
        await dlq_tail.wait_for(lambda m: m.key == key)
    finally:
        relay.stop()
        await relay_task
        await dlq_tail.stop()
    replay_group = f"replay-{uuid4().hex[:8]}"
    replayed = await replay_dead_letters(
        bootstrap_servers=KAFKA, topics=topics, topic="lead.captured", group=replay_group
    )
    assert replayed == 1

    async def replay_handled() -> None:
        assert await rows(sessions, effects, effects.c.event_id == failing.id)
        assert await committed_total(topics.group("it-consumer")) == 4

    await run_until(consumer(pool, topics, handler=each(fails_while_broken)), replay_handled)
    assert len(calls) == attempts + 1
    (inbox_row,) = await rows(sessions, tables.inbox, tables.inbox.c.event_id == failing.id)
    assert inbox_row.status == "processed"
    # the replay group remembers: running it again replays nothing
    assert (
        await replay_dead_letters(
            bootstrap_servers=KAFKA, topics=topics, topic="lead.captured", group=replay_group
        )
        == 0
    )


# offsets after every poll, and (as the services run) at most once an hour under load: then only
# the revocation and the quiet polls commit them
@pytest.mark.parametrize("commit_interval", [0.0, 3600.0])
async def test_a_rebalance_mid_batch_never_tears_the_consumer_down_and_handles_each_event_once(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool, commit_interval: float
) -> None:
    events = [captured_event() for _ in range(9)]
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, enable_idempotence=True, acks="all")
    await producer.start()
    try:  # three events on each of the three partitions, so the batch spans them all
        for index, event in enumerate(events):
            await producer.send_and_wait(
                topics.physical("lead.captured"),
                value=event.model_dump_json().encode(),
                key=str(event.lead_id).encode(),
                partition=index % 3,
            )
    finally:
        await producer.stop()
    gate, entered = asyncio.Event(), asyncio.Event()

    async def waits_at_the_gate(event: LeadCaptured, ctx: HandlerContext) -> None:
        entered.set()
        await gate.wait()
        await record_and_emit(event, ctx)

    # the batch in hand cannot finish while the gate is shut: the revocation waits for it for
    # two seconds, then abandons it (rolled back, redelivered to whoever owns its partitions next)
    first = consumer(
        pool,
        topics,
        handler=each(waits_at_the_gate),
        revoke_grace_seconds=2,
        commit_interval_seconds=commit_interval,
    )
    first_task = asyncio.create_task(first.run())
    await asyncio.wait_for(entered.wait(), timeout=60)
    second = consumer(pool, topics, commit_interval_seconds=commit_interval)
    second_task = asyncio.create_task(second.run())
    group = topics.group("it-consumer")

    async def rebalanced_onto_both() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
        await admin.start()
        try:
            described = await admin.describe_consumer_groups([group])
        finally:
            await admin.close()
        (state,) = [g for d in described for g in d.to_object()["groups"]]
        assert state["state"] == "Stable", state["state"]
        assert len(state["members"]) == 2
        assert all(member["member_assignment"] for member in state["members"])

    try:
        # the partitions have moved while the first consumer still holds its batch …
        await eventually(rebalanced_onto_both, within=60)
        gate.set()  # … which it may now try to finish

        async def all_handled() -> None:
            assert await committed_total(group) == 9

        await eventually(all_handled, within=60)
        assert not first_task.done(), first_task  # did not crash on a revoked partition
        handled = await rows(sessions, effects, effects.c.event_id.in_([e.id for e in events]))
        assert sorted(row.event_id for row in handled) == sorted(e.id for e in events)
    finally:
        gate.set()
        for loop in (first, second):
            loop.stop()
        await asyncio.wait_for(asyncio.gather(first_task, second_task), timeout=60)


def relay_for(pool: Pool, topics: TopicNames) -> OutboxRelay:
    return OutboxRelay(
        service="it",
        pool=pool,
        topics=topics,
        bootstrap_servers=KAFKA,
        poll_interval=0.1,
    )


async def test_a_relay_whose_connections_were_dropped_never_publishes_beside_the_lock_holder(
    sessions: async_sessionmaker[AsyncSession], topics: TopicNames, pool: Pool, engine: AsyncEngine
) -> None:
    relay = relay_for(pool, topics)
    relay_task = asyncio.create_task(relay.run())
    other = create_engine(DATABASE_URL, pool_size=1)
    try:
        await add_to_outbox(pool, outbox_of(captured_event()))  # the relay is up and publishing
        await eventually(lambda: _published_all(sessions))
        async with other.connect() as holder:
            # the database drops every connection of the relay's, as a failover or restart does,
            # and meanwhile another instance's relay takes the lock (before ours reconnects)
            async def dropped_and_taken_over() -> None:
                await holder.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                taken = await holder.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": relay_lock_key("it")}
                )
                assert taken, "our relay still holds the lock"

            await eventually(dropped_and_taken_over, interval=0.02)
            await holder.commit()
            await engine.dispose()  # the idle pooled connections are dead: start afresh
            await pool.expire_connections()
            lead_id = uuid4()
            await add_to_outbox(pool, outbox_of(captured_event(lead_id), captured_event(lead_id)))

            async def standing_by() -> None:
                assert relay.standing_by

            await eventually(standing_by)
            unpublished = await rows(
                sessions,
                tables.outbox,
                tables.outbox.c.key == str(lead_id),
                tables.outbox.c.published_at.is_(None),
            )
            assert len(unpublished) == 4  # two events and their history twins
            await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": relay_lock_key("it")})
            await holder.commit()
        await eventually(lambda: _published_all(sessions))
        assert not relay.standing_by
    finally:
        relay.stop()
        await asyncio.wait_for(relay_task, timeout=30)
        await other.dispose()


async def _published_all(sessions: async_sessionmaker[AsyncSession]) -> None:
    outbox = tables.outbox
    left = await rows(sessions, outbox, outbox.c.published_at.is_(None), outbox.c.parked_at.is_(None))
    assert left == [], f"{len(left)} outbox rows not published yet"


async def test_a_row_kafka_refuses_for_good_is_parked_and_the_rows_behind_it_go_out(
    sessions: async_sessionmaker[AsyncSession],
    topics: TopicNames,
    pool: Pool,
    engine: AsyncEngine,
    monkeypatch: Any,
) -> None:
    lead_id = uuid4()
    before, after = captured_event(lead_id), captured_event(lead_id)
    outbox = outbox_of(before)
    # larger than the producer's 1 MB request limit: Kafka can never take it
    outbox.add_raw(topic="lead.captured", key="too-large", payload=b"x" * 2_000_000, headers=[])
    outbox.add(after)
    await add_to_outbox(pool, outbox)
    tail = await TopicTail(topics.physical("lead.captured")).start()
    relay = relay_for(pool, topics)
    relay_task = asyncio.create_task(relay.run())
    try:
        published = await tail.wait_for(lambda m: m.key == str(lead_id).encode(), count=2)
        assert [LeadCaptured.model_validate_json(m.value).id for m in published] == [before.id, after.id]

        async def parked_and_counted() -> None:
            assert metric("leadloop_outbox_parked", service="it") == 1

        await eventually(parked_and_counted)
    finally:
        relay.stop()
        await asyncio.wait_for(relay_task, timeout=30)
        await tail.stop()
    (parked,) = await parked_rows(DATABASE_URL)
    assert parked.key == "too-large"
    assert "MessageSizeTooLarge" in parked.error
    assert await unpark_rows(DATABASE_URL, [parked.id]) == 1
    assert await parked_rows(DATABASE_URL) == []
    async with sessions.begin() as session:  # leave the shared outbox clean for the next test
        await session.execute(tables.outbox.delete().where(tables.outbox.c.id == parked.id))
