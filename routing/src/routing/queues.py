"""Queued leads: offered again whenever someone may take them (a worker on every instance)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from leadkit.db import Connection
from leadkit.messaging import Outbox
from routing.batch import log, open_batch
from routing.metrics import QUEUED
from routing.parts import RoutingParts

_QUEUED_TEAMS = """
SELECT team, count(*) AS queued FROM leads WHERE status = 'queued' AND team IS NOT NULL GROUP BY team
"""


async def serve_queues_once(conn: Connection, outbox: Outbox, now: datetime, parts: RoutingParts) -> int:
    """One pass over every team's queue: a rep back from absence or into working hours takes the
    oldest leads it can. Runs on every instance; team locks and SKIP LOCKED keep them apart."""
    rows = await conn.fetch(_QUEUED_TEAMS)
    QUEUED.set(sum(row["queued"] for row in rows))
    teams = [row["team"] for row in rows]
    if not teams:
        return 0
    batch = await open_batch(conn, outbox, now, parts, ())
    wanted: set[str] = set()
    for team in teams:
        wanted |= batch.teams_within(team)
    await batch.lock(wanted)
    served = await batch.serve_queues(set(teams) & batch.locked)
    await batch.write()
    return served


async def run_queue_worker(deps: Any, *, parts: RoutingParts, poll_seconds: float) -> None:
    async with deps.pool.acquire() as conn:
        await parts.ensure_roster(conn)  # at start-up, so the CLI finds the roster a fresh system ships
    while True:
        async with deps.pooled_transaction() as (conn, outbox):
            served = await serve_queues_once(conn, outbox, deps.clock(), parts)
        if served:
            log.info("queued leads served", served=served)
        await asyncio.sleep(poll_seconds)
