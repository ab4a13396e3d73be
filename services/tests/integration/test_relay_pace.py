"""The relay's pace: a pass soon after a short one waits, so a stream of single-row commits goes
out a few rows a pass; single requests' commits wait a little for a few more; a backlog is read
pass after pass without waiting."""

from __future__ import annotations

import asyncio
from typing import Any

from kit_support import KAFKA, add_to_outbox, captured_event, outbox_of

from leadkit.db import Pool
from leadkit.messaging import write_outbox
from leadkit.relay import OutboxRelay
from leadkit.testing import TopicTail, eventually
from leadkit.topics import TopicNames


class CountingRelay(OutboxRelay):
    """Records how many rows each pass that found any published."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.passes: list[int] = []

    async def publish_batch(self, connection: Any, producer: Any) -> int:
        published = await super().publish_batch(connection, producer)
        if published > 0:
            self.passes.append(published)
        return published


def _counting(pool: Pool, topics: TopicNames, **options: Any) -> CountingRelay:
    return CountingRelay(service="it", pool=pool, topics=topics, bootstrap_servers=KAFKA, **options)


async def test_rows_committed_within_the_pace_of_a_pass_go_out_together(
    pool: Pool, topics: TopicNames
) -> None:
    # a pace far longer than the two commits take, so the second commit lands before the relay looks
    relay = _counting(pool, topics, pass_pace_ms=2000)
    first, second, third = (captured_event() for _ in range(3))
    tail = await TopicTail(topics.physical("lead.captured")).start()
    task = asyncio.create_task(relay.run())
    try:
        await add_to_outbox(pool, outbox_of(first))
        relay.wake()

        async def first_published() -> int:
            assert relay.passes
            return len(relay.passes)

        before = await eventually(first_published, within=30)
        await add_to_outbox(pool, outbox_of(second))
        relay.wake()  # without the pace, this pass would start before the next commit
        await add_to_outbox(pool, outbox_of(third))
        relay.wake()
        found = await tail.wait_for(
            lambda m: m.key in {str(e.lead_id).encode() for e in (second, third)}, count=2
        )
    finally:
        relay.stop()
        await task
        await tail.stop()
    assert len(found) == 2
    assert len(relay.passes) == before + 1, relay.passes


async def _woken_commits(
    pool: Pool, topics: TopicNames, *, request_gather: int, requests: list[int]
) -> CountingRelay:
    """One lead's rows committed and the relay woken for each of `requests` (as a commit of that
    many single requests; 0: any other commit), under a request gather no test would wait out;
    the relay once every lead is on the topic."""
    relay = _counting(pool, topics, request_gather_ms=600_000, request_gather=request_gather)
    events = [captured_event() for _ in requests]
    tail = await TopicTail(topics.physical("lead.captured")).start()
    task = asyncio.create_task(relay.run())
    try:

        async def resting() -> None:
            assert relay.active  # its first pass is done: what comes next is woken

        await eventually(resting, within=30)
        for event, held in zip(events, requests, strict=True):
            async with pool.acquire() as conn:  # NOTIFY would wake it as another instance's commit
                await write_outbox(conn, outbox_of(event).rows, notify=False)
            relay.wake(requests=held)
        keys = {str(e.lead_id).encode() for e in events}
        found = await tail.wait_for(lambda m: m.key in keys, count=len(events), within=30)
    finally:
        relay.stop()
        await task
        await tail.stop()
    assert len(found) == len(events)
    return relay


async def test_single_requests_commits_wait_for_a_few_more_to_share_their_pass(
    pool: Pool, topics: TopicNames
) -> None:
    # only the third request may start the pass
    relay = await _woken_commits(pool, topics, request_gather=3, requests=[1, 1, 1])
    assert len(relay.passes) == 1, relay.passes


async def test_a_commit_of_several_requests_counts_each(pool: Pool, topics: TopicNames) -> None:
    # capture's shared writes commit a few leads at once: three of them start the pass
    relay = await _woken_commits(pool, topics, request_gather=3, requests=[3])
    assert len(relay.passes) == 1, relay.passes


async def test_a_commit_that_is_not_one_request_of_a_stream_is_not_held(
    pool: Pool, topics: TopicNames
) -> None:
    # one request may wait for others, until a consumer's poll (a batch, another instance's
    # commit) wakes the relay: both go in that pass
    relay = await _woken_commits(pool, topics, request_gather=100, requests=[1, 0])
    assert len(relay.passes) == 1, relay.passes


async def test_a_backlog_is_read_pass_after_pass_without_waiting_out_the_pace(
    pool: Pool, topics: TopicNames
) -> None:
    # a pace no test would wait out: a full pass must be followed at once
    relay = _counting(pool, topics, batch_size=2, pass_pace_ms=1000 * 1000)
    events = [captured_event() for _ in range(5)]
    await add_to_outbox(pool, outbox_of(*events))
    tail = await TopicTail(topics.physical("lead.captured")).start()
    task = asyncio.create_task(relay.run())
    try:
        keys = {str(e.lead_id).encode() for e in events}
        found = await tail.wait_for(lambda m: m.key in keys, count=5, within=30)
    finally:
        relay.stop()
        await task
        await tail.stop()
    assert len(found) == 5
    assert all(rows == 2 for rows in relay.passes[:-1]), relay.passes


async def test_rows_sent_with_no_pass_after_them_are_marked_published_within_a_poll_interval(
    pool: Pool, topics: TopicNames
) -> None:
    # an erasure forgets only rows marked published: the last rows of a burst must not wait for
    # the safety net (an hour here) to be marked
    relay = OutboxRelay(
        service="it", pool=pool, topics=topics, bootstrap_servers=KAFKA, poll_interval=0.2, safety_net=3600
    )
    events = [captured_event() for _ in range(3)]
    async with pool.acquire() as conn:  # before the relay starts and without NOTIFY: its first pass
        await write_outbox(conn, outbox_of(*events).rows, notify=False)  # sends them; nothing wakes it
    task = asyncio.create_task(relay.run())
    try:
        wanted = [str(e.lead_id) for e in events]

        async def all_marked() -> None:
            async with pool.acquire() as conn:
                marked = await conn.fetch(
                    "SELECT published_at IS NOT NULL AS marked FROM outbox WHERE key = ANY($1::text[])",
                    wanted,
                )
            assert len(marked) >= len(wanted)
            assert all(row["marked"] for row in marked), marked

        await eventually(all_marked, within=20)
    finally:
        relay.stop()
        await task
