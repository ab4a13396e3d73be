"""The relay reads its queue with an ordered index scan, whatever the table's statistics say.

A bitmap scan of the partial index rereads every entry marked since the last vacuum on each pass
(so a pass grows with the hour's traffic); a sequential scan reads the whole day kept. The relay's
connection rules both out, then hands the connection back to the pool planning as usual.
"""

from __future__ import annotations

import json
from typing import Any

from leadkit.db import Pool
from leadkit.relay import _MARK_AND_NEXT_ROWS, _PLAN_AS_A_QUEUE, _PLAN_AS_USUAL


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


async def test_a_pass_reads_the_unpublished_rows_by_an_ordered_index_scan(pool: Pool) -> None:
    async with pool.acquire() as conn:
        # statistics of a near-empty outbox, as a fresh install has when its first burst comes
        await conn.execute("ANALYZE outbox")
        await conn.execute(_PLAN_AS_A_QUEUE)
        try:
            for marked in ([], [1, 2, 3]):
                explained = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {_MARK_AND_NEXT_ROWS}", 500, marked)
                nodes = _nodes(json.loads(explained)[0]["Plan"])
                kinds = {node["Node Type"] for node in nodes}
                assert not kinds & {"Seq Scan", "Bitmap Heap Scan", "Bitmap Index Scan", "Sort"}, kinds
                reads = [n for n in nodes if n.get("Relation Name") == "outbox" and "Scan" in n["Node Type"]]
                assert any(n.get("Index Name") == "ix_outbox_unpublished" for n in reads), reads
        finally:
            await conn.execute(_PLAN_AS_USUAL)
        assert await conn.fetchval("SHOW enable_bitmapscan") == "on"
        assert await conn.fetchval("SHOW enable_seqscan") == "on"
