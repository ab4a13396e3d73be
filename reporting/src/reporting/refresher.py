"""The aggregate refreshers of a running reporting instance, on a thread of their own.

Recounting a busy day is seconds of Python. On the service's event loop that would hold up the
consumers for as long (the bench saw seconds of end-to-end latency at every refresh of "today");
on a thread with its own event loop and database connection the interpreter switches between the
two every few milliseconds, so the projection keeps up while a day is recounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from leadkit.db import Connection, create_pool
from leadkit.service import Deps
from reporting.aggregates import refresh
from reporting.funnel_aggregates import refresh_funnel

Refresh = Callable[..., Awaitable[int]]
REFRESHERS: tuple[Refresh, ...] = (refresh, refresh_funnel)


async def refresh_once(
    conn: Connection, *, settle: timedelta, busy_share: float, refreshers: Sequence[Refresh] = REFRESHERS
) -> int:
    """One round of every refresher; how many days they recomputed."""
    return sum([await each(conn, settle=settle, busy_share=busy_share) for each in refreshers])


async def _follow(
    database_url: str, poll: float, settle: timedelta, busy_share: float, stop: threading.Event
) -> None:
    pool = await create_pool(database_url, size=1)
    try:
        while not stop.is_set():
            async with pool.acquire() as conn:
                done = await refresh_once(conn, settle=settle, busy_share=busy_share)
            if not done:
                await asyncio.sleep(poll)
    finally:
        await pool.close()


async def run_refreshers(
    deps: Deps, *, poll_seconds: float, settle_seconds: float, busy_share: float
) -> None:
    """Runs the refreshers' thread until cancelled; a failure there is raised here, so the
    service's supervisor logs it and starts them again."""
    stop = threading.Event()
    failure: list[BaseException] = []
    loop, ended = asyncio.get_running_loop(), asyncio.Event()

    def follow() -> None:
        try:
            asyncio.run(
                _follow(
                    deps.settings.database_url,
                    poll_seconds,
                    timedelta(seconds=settle_seconds),
                    busy_share,
                    stop,
                )
            )
        except BaseException as error:  # handed to the service's supervisor below
            failure.append(error)
        finally:
            with contextlib.suppress(RuntimeError):  # the service's loop may be closed already
                loop.call_soon_threadsafe(ended.set)

    # a daemon: an instance stopping mid-recount does not wait for it (the transaction rolls back)
    threading.Thread(target=follow, name="reporting-aggregates", daemon=True).start()
    try:
        await ended.wait()
        if failure:
            raise failure[0]
    finally:
        stop.set()
