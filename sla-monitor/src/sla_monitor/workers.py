"""The timer worker: every poll, fire what is due; while there was work, look again at once."""

from __future__ import annotations

import asyncio

from leadkit.service import Deps, parts_of
from sla_monitor.parts import SlaParts
from sla_monitor.timers import fire_due_timers


async def run_timer_worker(deps: Deps, *, poll_seconds: float) -> None:
    parts = parts_of(deps, SlaParts)
    while True:
        async with deps.pooled_transaction() as (conn, outbox):
            fired = await fire_due_timers(conn, parts=parts, outbox=outbox, now=deps.clock())
        if not fired:
            await asyncio.sleep(poll_seconds)
