"""The relay's own connection: it reads its queue with an ordered index scan, whatever the
table's statistics say, and its commits do not wait for the WAL flush.

A bitmap scan of the partial index rereads every entry marked since the last vacuum on each pass
(so a pass grows with the hour's traffic); a sequential scan reads the whole day kept. The relay's
connection rules both out, then hands the connection back to the pool planning as usual. Its marks
only record what Kafka holds, so they commit without a flush; the connection goes back to the pool
committing synchronously again.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kit_support import DATABASE_URL, KAFKA, add_to_outbox, captured_event, outbox_of

from leadkit.db import Pool, create_pool
from leadkit.relay import _MARK_AND_NEXT_ROWS, _SESSION, _SESSION_RESET, OutboxRelay
from leadkit.testing import TopicTail
from leadkit.topics import TopicNames


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


async def test_a_pass_reads_the_unpublished_rows_by_an_ordered_index_scan(pool: Pool) -> None:
    async with pool.acquire() as conn:
        # statistics of a near-empty outbox, as a fresh install has when its first burst comes
        await conn.execute("ANALYZE outbox")
        await conn.execute(_SESSION)
        try:
            for marked in ([], [1, 2, 3]):
                explained = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {_MARK_AND_NEXT_ROWS}", 500, marked)
                nodes = _nodes(json.loads(explained)[0]["Plan"])
                kinds = {node["Node Type"] for node in nodes}
                assert not kinds & {"Seq Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Sort"}, kinds
                reads = [n for n in nodes if n.get("Relation Name") == "outbox" and "Scan" in n["Node Type"]]
                assert any(n.get("Index Name") == "ix_outbox_unpublished" for n in reads), reads
        finally:
            await conn.execute(_SESSION_RESET)
        assert await conn.fetchval("SHOW enable_bitmapscan") == "on"
        assert await conn.fetchval("SHOW enable_seqscan") == "on"


class SettingsRelay(OutboxRelay):
    """Records its connection's synchronous_commit at each pass."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commits_seen: list[str] = []

    async def publish_batch(self, connection: Any, producer: Any) -> int:
        self.commits_seen.append(await connection.fetchval("SHOW synchronous_commit"))
        return await super().publish_batch(connection, producer)


async def test_the_relay_commits_without_a_flush_and_hands_its_connection_back_as_it_was(
    pool: Pool, topics: TopicNames
) -> None:
    one_connection = await create_pool(DATABASE_URL, size=1)  # the relay's is the one the test gets next
    relay = SettingsRelay(service="it", pool=one_connection, topics=topics, bootstrap_servers=KAFKA)
    event = captured_event()
    tail = await TopicTail(topics.physical("lead.captured")).start()
    task = asyncio.create_task(relay.run())
    try:
        await add_to_outbox(pool, outbox_of(event))
        relay.wake()
        await tail.wait_for(lambda m: m.key == str(event.lead_id).encode())
    finally:
        relay.stop()
        await task
        await tail.stop()
    try:
        assert relay.commits_seen
        assert set(relay.commits_seen) == {"off"}, relay.commits_seen
        async with one_connection.acquire() as conn:
            assert await conn.fetchval("SHOW synchronous_commit") == "on"
            assert await conn.fetchval("SHOW enable_seqscan") == "on"
    finally:
        await one_connection.close()
