"""The timer worker: every poll, fire what is due; while there was work, look again at once. A
lead whose timers fail to fire is quarantined (`leadkit.quarantine`) and the rest fire."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from leadkit.db import Pool
from leadkit.quarantine import Quarantine, guarded_round
from leadkit.service import Deps, parts_of
from sla_monitor.parts import SlaParts
from sla_monitor.timers import fire_due_timers, pending_leads

TIMERS = Quarantine("sla-monitor", "sla-timers")


async def fire_round(
    pool: Pool, parts: SlaParts, *, now: datetime, notify: bool, on_outbox: Callable[[], None] = lambda: None
) -> int | None:
    """One round of the sweep; the timers fired (None: the round was worked lead by lead)."""
    return await guarded_round(
        pool,
        TIMERS,
        work=lambda conn, outbox, skip: fire_due_timers(conn, parts=parts, outbox=outbox, now=now, skip=skip),
        pending=lambda conn, skip: pending_leads(conn, now=now, skip=skip),
        one=lambda conn, outbox, lead: fire_due_timers(
            conn, parts=parts, outbox=outbox, now=now, only=[UUID(lead)]
        ),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_timer_worker(deps: Deps, *, poll_seconds: float) -> None:
    parts = parts_of(deps, SlaParts)
    while True:
        fired = await fire_round(
            deps.pool, parts, now=deps.clock(), notify=deps.notify_relay, on_outbox=deps.outbox_written
        )
        if not fired:
            await asyncio.sleep(poll_seconds)
