"""`python -m reporting.refresh`: count every aggregate again from the projection (`make
rebuild-reporting` runs it after a rebuild; reporting itself does it on start when the tables do
not hold its version's aggregates). Safe beside running reporting instances: it holds the projection
still while it counts, and their handlers wait."""

from __future__ import annotations

import asyncio
import time

import typer

from leadkit.db import create_pool
from reporting.db.aggregates import recount
from reporting.settings import ReportingSettings


async def _recount(database_url: str) -> int:
    pool = await create_pool(database_url, size=1)
    try:
        async with pool.acquire() as conn:
            return await recount(conn)
    finally:
        await pool.close()


def main() -> None:
    started = time.perf_counter()
    leads = asyncio.run(_recount(ReportingSettings().database_url))
    typer.echo(
        f"counted the funnel and attribution aggregates again from {leads} leads"
        f" in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    typer.run(main)
