"""Queued leads: offered again whenever someone may take them (a worker on every instance)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from leadkit.quarantine import Quarantine, guarded_round
from routing.batch import log, open_batch
from routing.db.leads import queued_counts
from routing.metrics import QUEUED
from routing.parts import RoutingParts

QUEUES = Quarantine("routing", "queues")


async def queued_teams(conn: Connection, skip: Sequence[str] = ()) -> list[str]:
    counts = await queued_counts(conn)
    QUEUED.set(sum(counts.values()))
    return [team for team in counts if team not in skip]


async def serve_queues_once(
    conn: Connection,
    outbox: Outbox,
    now: datetime,
    parts: RoutingParts,
    *,
    skip: Sequence[str] = (),
    only: str | None = None,
) -> int:
    """One pass over every team's queue (but the quarantined teams in `skip`; or `only` one): a rep
    back from absence or into working hours takes the oldest leads it can. Runs on every instance;
    team locks and SKIP LOCKED keep them apart."""
    teams = [only] if only is not None else await queued_teams(conn, skip)
    if not teams:
        return 0
    batch = await open_batch(conn, outbox, now, parts, ())
    for team in teams:
        batch.plan.queue(team)
    await batch.lock_planned()
    served = await batch.serve_queues(set(teams) & batch.locked)
    await batch.write()
    return served


async def queues_round(
    pool: Pool,
    parts: RoutingParts,
    *,
    now: datetime,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> int | None:
    """One pass; the leads served (None: the pass was worked team by team)."""
    return await guarded_round(
        pool,
        QUEUES,
        work=lambda conn, outbox, skip: serve_queues_once(conn, outbox, now, parts, skip=skip),
        pending=queued_teams,
        one=lambda conn, outbox, team: serve_queues_once(conn, outbox, now, parts, only=team),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_queue_worker(deps: Any, *, parts: RoutingParts, poll_seconds: float) -> None:
    async with deps.pool.acquire() as conn:
        await parts.ensure_roster(conn)  # at start-up, so the CLI finds the roster a fresh system ships
    while True:
        served = await queues_round(
            deps.pool, parts, now=deps.clock(), notify=deps.notify_relay, on_outbox=deps.outbox_written
        )
        if served:
            log.info("queued leads served", served=served)
        await asyncio.sleep(poll_seconds)
