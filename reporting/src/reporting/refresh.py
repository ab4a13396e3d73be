"""`python -m reporting.refresh [--workers N]`: bring every day's attribution and funnel aggregates
up to date now, with a process a core (after a rebuild, say; reporting's own refresher does the
same in the background). Safe beside running reporting instances: days are claimed with SKIP
LOCKED. `--follow` is that background refresher, the child every reporting instance starts
(`reporting.workers`): settled days only, until its parent is gone."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from datetime import timedelta
from typing import Annotated

import typer

from leadkit.db import create_pool
from reporting import workers as refreshers
from reporting.settings import ReportingSettings


async def _refresh_until_clean(database_url: str) -> int:
    pool = await create_pool(database_url, size=1)
    days = 0
    try:
        async with pool.acquire() as conn:
            while done := await refreshers.refresh_once(conn, settle=timedelta(0), busy_share=None):
                days += done
    finally:
        await pool.close()
    return days


def _worker(database_url: str) -> int:
    return asyncio.run(_refresh_until_clean(database_url))


def main(
    workers: Annotated[int, typer.Option(min=0, max=64, help="processes; 0: one a core")] = 0,
    follow: Annotated[
        bool, typer.Option(help="keep recounting settled days, as a reporting instance's child")
    ] = False,
) -> None:
    if follow:
        asyncio.run(refreshers.follow(ReportingSettings()))
        return
    count = workers or os.cpu_count() or 1
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(count) as pool:
        days = sum(pool.map(_worker, [ReportingSettings().database_url] * count))
    typer.echo(
        f"refreshed the attribution and funnel aggregates ({days} day recounts)"
        f" in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    typer.run(main)
