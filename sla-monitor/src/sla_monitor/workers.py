"""The timer worker: every few seconds, breach what is due."""

from __future__ import annotations

import asyncio

from leadkit.service import Deps
from sla_monitor.handlers import fire_due_timers


async def run_timer_worker(deps: Deps, *, poll_seconds: float, warn_share: float = 0.0) -> None:
    while True:
        async with deps.transaction() as (session, outbox):
            fired = await fire_due_timers(
                session=session, outbox=outbox, now=deps.clock(), warn_share=warn_share
            )
        if not fired:
            await asyncio.sleep(poll_seconds)
