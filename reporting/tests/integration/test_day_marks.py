"""Marked days settle before a refresher claims them: the settling time, and a busy day's cost."""

from __future__ import annotations

import random
from datetime import date, timedelta

from leadkit.db import Connection, Pool
from leadkit.quarantine import quarantined, release
from reporting.db.day_marks import FUNNEL_MARKS


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


async def test_a_day_whose_recount_fails_is_quarantined_and_stays_marked(pool: Pool) -> None:
    """The refresher used to crash-loop on one day it could not recount (a lead at -infinity);
    now that day is set aside, still marked (reports count it live), and the rest are recounted."""
    poisoned = date(1950, 1, 1) + timedelta(days=random.randrange(3000) * 2)
    healthy = poisoned + timedelta(days=1)
    recounted: list[date] = []

    async def recount(conn: Connection, days: list[date]) -> None:
        if poisoned in days:
            raise TypeError("can't compare offset-naive and offset-aware datetimes")
        recounted.extend(days)

    async with pool.acquire() as conn:
        await FUNNEL_MARKS.mark(conn, [poisoned, healthy])
        while await FUNNEL_MARKS.refresh(conn, recount, limit=100_000, settle=timedelta(0), busy_share=None):
            pass
        assert healthy in recounted
        assert poisoned not in recounted
        assert await FUNNEL_MARKS.marked(conn, poisoned, healthy + timedelta(days=1)) == {poisoned}
        (row,) = [r for r in await quarantined(conn, "funnel-aggregates") if r.item == poisoned.isoformat()]
        assert "offset-naive" in row.error
        await release(conn, "funnel-aggregates", [poisoned.isoformat()])
        await FUNNEL_MARKS.refresh(conn, recount, limit=100_000, settle=timedelta(0), busy_share=None)
        assert await FUNNEL_MARKS.marked(conn, poisoned, healthy + timedelta(days=1)) == {poisoned}
        assert await release(conn, "funnel-aggregates", [poisoned.isoformat()]) == 1  # failed again
        async with conn.transaction():  # leave no mark behind for the test system's refresher
            await FUNNEL_MARKS.claim(conn, limit=1, settle=timedelta(0), busy_share=None, only=poisoned)
