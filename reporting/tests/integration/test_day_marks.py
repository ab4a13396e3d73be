"""Marked days settle before a refresher claims them: the settling time, and a busy day's cost."""

from __future__ import annotations

import random
from datetime import date, timedelta

from leadkit.db import Connection, Pool
from reporting.day_marks import FUNNEL_MARKS


class _Undo(Exception):
    """Rolls a claim back, so other days' marks stay for their own refreshers."""


async def _claimed(conn: Connection, **how: object) -> list[date]:
    found: list[date] = []
    try:
        async with conn.transaction():
            found = await FUNNEL_MARKS.claim(conn, limit=100_000, **how)  # type: ignore[arg-type]
            raise _Undo
    except _Undo:
        return found


async def test_a_busy_day_waits_its_cost_over_the_share(pool: Pool) -> None:
    quiet = date(1950, 1, 1) + timedelta(days=random.randrange(3000) * 2)
    busy = quiet + timedelta(days=1)
    async with pool.acquire() as conn:
        await FUNNEL_MARKS.mark(conn, [quiet, busy])
        await FUNNEL_MARKS.record_cost(conn, [busy], 10.0)  # its last recount took 10 s
        now = await _claimed(conn, settle=timedelta(0), busy_share=0.05)
        assert quiet in now
        assert busy not in now  # waits 10 / 0.05 = 200 s after its mark
        assert busy in await _claimed(conn, settle=timedelta(0), busy_share=None)  # the CLI: no wait
        assert busy not in await _claimed(conn, settle=timedelta(0), busy_share=1.0)  # still 10 s
        assert quiet not in await _claimed(conn, settle=timedelta(hours=1), busy_share=None)  # not settled
        assert await FUNNEL_MARKS.marked(conn, quiet, busy + timedelta(days=1)) == {quiet, busy}
