"""Concurrency on the real PostgreSQL: a progress report and the timer sweep on one lead at the same
moment take their locks in one order (neither deadlocks nor fails), and two sweeps racing over
the same due timers fire each exactly once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from leadkit.testing import eventually
from sla_monitor.domain.stages import Step
from sla_monitor.parts import SlaParts
from sla_monitor.progress import report_progress
from sla_monitor.workers import fire_due_timers

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_LEAD = """
INSERT INTO leads (lead_id, owner, correlation_id, qualified_event_id, tier, sla_version, team, assignment)
VALUES ($1, 'ada', $1, $2, NULL, NULL, 'it-team', 2)
"""
_TIMER = """
INSERT INTO timers (lead_id, clock, escalation, escalation_step, owner, started_at, due_at, status,
                    cause_event_id, target_minutes)
VALUES ($1, 'accept', $2, 2, 'ada', $3, $4, 'pending', $5, 30)
"""


async def due_lead(conn: Connection, escalation: str = "recycle") -> UUID:
    lead_id = uuid4()
    await conn.execute(_LEAD, lead_id, uuid4())
    await conn.execute(
        _TIMER, lead_id, escalation, NOW - timedelta(hours=1), NOW - timedelta(minutes=1), uuid4()
    )
    return lead_id


async def test_a_report_and_a_due_timer_on_one_lead_at_once_both_succeed(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        # the last step of the ladder: breaching it recycles the lead (a lead write)
        lead_id = await due_lead(conn)

    async with pool.acquire() as reporting, reporting.transaction():
        # the report has locked the lead, as report_progress does first …
        await reporting.execute("SELECT 1 FROM leads WHERE lead_id = $1 FOR UPDATE", lead_id)

        async def fire() -> int:
            async with pool.acquire() as conn, conn.transaction():
                return await fire_due_timers(conn, parts=parts, outbox=Outbox(), now=NOW)

        # … when the sweep runs
        firing = asyncio.create_task(fire())

        async def worker_done_or_waiting() -> None:
            if firing.done():
                return
            async with pool.acquire() as conn:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            assert waiting, "the sweep is neither done nor waiting for a lock yet"

        await eventually(worker_done_or_waiting)
        # the report goes on to close the lead's timers and commits
        await report_progress(
            reporting, lead_id, Step(stage="accepted"), parts=parts, outbox=Outbox(), now=NOW
        )
    await asyncio.wait_for(firing, timeout=30)  # no DeadlockDetectedError

    async with pool.acquire() as conn:
        timer = await conn.fetchrow("SELECT status FROM timers WHERE lead_id = $1", lead_id)
        assert timer["status"] == "met"  # accepted before the sweep came back to it
        assert await conn.fetchval("SELECT stage FROM leads WHERE lead_id = $1", lead_id) == "accepted"
        async with conn.transaction():  # and the next round finds nothing due for it
            outbox = Outbox()
            while await fire_due_timers(conn, parts=parts, outbox=outbox, now=NOW):
                pass
        assert str(lead_id) not in {row.key for row in outbox.rows}


async def test_two_sweeps_share_the_due_timers_and_fire_each_exactly_once(
    pool: Pool, parts: SlaParts
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        # whatever earlier tests left due is swept first, so the count below is this test's
        while await fire_due_timers(conn, parts=parts, outbox=Outbox(), now=NOW):
            pass
        leads = {await due_lead(conn, "reassign") for _ in range(300)}
    outboxes = [Outbox(), Outbox()]

    async def sweep(outbox: Outbox) -> int:
        fired = 0
        while True:
            async with pool.acquire() as conn, conn.transaction():
                found = await fire_due_timers(conn, parts=parts, outbox=outbox, now=NOW, limit=25)
            if not found:
                return fired
            fired += found

    fired = await asyncio.gather(*(sweep(outbox) for outbox in outboxes))
    breached = [json.loads(row.payload)["lead_id"] for outbox in outboxes for row in outbox.rows]
    assert sorted(breached) == sorted(str(lead) for lead in leads)  # each once, none twice
    assert sum(fired) == 300
    async with pool.acquire() as conn:
        statuses = await conn.fetch(
            "SELECT status, count(*) FROM timers WHERE lead_id = ANY($1::uuid[]) GROUP BY status", list(leads)
        )
    assert [tuple(row) for row in statuses] == [("breached", 300)]
