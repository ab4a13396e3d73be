"""The aggregate refreshers of a running reporting instance, in a child process of their own.

Recounting a busy day is seconds of Python (a day of 76,000 leads: about fifteen, for attribution's
four outcomes and five keys). In the service's process that held up the consumers — on its event
loop for the whole recount, and on a thread still through the interpreter lock (the bench saw an
18 s lag at 100 leads/s) — so the instance runs them as `python -m reporting.refresh --follow`, a
child at a lower CPU priority: the projection keeps its share of the cores, and the recounts take
what is left. The child leaves when its parent does; the parent restarts a child that died.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from leadkit.db import Connection, create_pool
from leadkit.service import Deps
from leadkit.supervise import run_child
from reporting.db.attribution_aggregates import refresh
from reporting.db.funnel_aggregates import refresh_funnel
from reporting.settings import ReportingSettings

Refresh = Callable[..., Awaitable[int]]
REFRESHERS: tuple[Refresh, ...] = (refresh, refresh_funnel)
NICENESS = 10


async def refresh_once(
    conn: Connection,
    *,
    settle: timedelta,
    busy_share: float | None,
    refreshers: Sequence[Refresh] = REFRESHERS,
) -> int:
    """One round of every refresher; how many days they recomputed (`busy_share` None: every marked
    day that has settled, whatever it cost last time)."""
    return sum([await each(conn, settle=settle, busy_share=busy_share) for each in refreshers])


async def follow(settings: ReportingSettings) -> None:
    """The child's loop: recount settled days until the parent is gone."""
    parent = os.getppid()
    os.nice(NICENESS)
    settle = timedelta(seconds=settings.aggregate_settle_seconds)
    pool = await create_pool(settings.database_url, size=1)
    try:
        while os.getppid() == parent:
            async with pool.acquire() as conn:
                done = await refresh_once(conn, settle=settle, busy_share=settings.aggregate_busy_share)
            if not done:
                await asyncio.sleep(settings.aggregate_poll_seconds)
    finally:
        await pool.close()


async def run_refreshers(deps: Deps, *, settings: ReportingSettings) -> None:
    """Runs the child until cancelled; its exit is raised here, so the service's supervisor logs
    it and starts another. The child gets the instance's own settings."""
    env = os.environ | {
        "REPORTING_DATABASE_URL": settings.database_url,
        "REPORTING_AGGREGATE_POLL_SECONDS": str(settings.aggregate_poll_seconds),
        "REPORTING_AGGREGATE_SETTLE_SECONDS": str(settings.aggregate_settle_seconds),
        "REPORTING_AGGREGATE_BUSY_SHARE": str(settings.aggregate_busy_share),
    }
    await run_child("the aggregate refresher", ["-m", "reporting.refresh", "--follow"], env)
