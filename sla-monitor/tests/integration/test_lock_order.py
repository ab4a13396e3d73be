"""A progress report and the timer worker on the same lead at the same moment, on the real
PostgreSQL: they take their locks in one order, so neither deadlocks nor fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from leadkit.db import create_engine, session_factory
from leadkit.messaging import Outbox
from leadkit.testing import database_url_for_tests, eventually, migrate_test_database
from sla_monitor.db.tables import SalesLead, SlaTimer
from sla_monitor.domain.stages import Step
from sla_monitor.handlers import fire_due_timers, report_progress

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = database_url_for_tests("sla_monitor")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def migrated() -> None:
    migrate_test_database(ROOT, "sla-monitor")


@pytest.fixture(scope="module")
async def engine(migrated: None) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DATABASE_URL, pool_size=4)
    yield engine
    await engine.dispose()


async def test_a_report_and_a_due_timer_on_one_lead_at_once_both_succeed(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    lead_id = uuid4()
    async with sessions.begin() as session:
        session.add(
            SalesLead(lead_id=lead_id, owner="ada", correlation_id=uuid4(), qualified_event_id=uuid4())
        )
        session.add(  # the last step of the ladder: breaching it recycles the lead (a lead write)
            SlaTimer(
                lead_id=lead_id,
                policy="accept",
                escalation="recycle",
                escalation_step=2,
                owner="ada",
                started_at=NOW - timedelta(hours=1),
                due_at=NOW - timedelta(minutes=1),
                status="pending",
                cause_event_id=uuid4(),
            )
        )

    async with sessions.begin() as reporting:
        # the report has locked the lead, as report_progress does first …
        await reporting.get(SalesLead, lead_id, with_for_update=True)

        async def fire() -> int:
            async with sessions.begin() as session:
                return await fire_due_timers(session=session, outbox=Outbox(), now=NOW)

        # … when the timer worker runs
        firing = asyncio.create_task(fire())

        async def worker_done_or_waiting() -> None:
            if firing.done():
                return
            async with engine.connect() as conn:
                waiting = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                )
            assert waiting, "the worker is neither done nor waiting for a lock yet"

        await eventually(worker_done_or_waiting)
        # the report goes on to close the lead's timers and commits
        await report_progress(
            lead_id,
            Step(stage="accepted"),
            session=reporting,
            outbox=Outbox(),
            now=NOW,
        )
    fired = await asyncio.wait_for(firing, timeout=30)  # no DeadlockDetectedError

    assert fired == 0  # the lead was the report's: the worker left it for its next round
    async with sessions() as session:
        (timer,) = (await session.scalars(select(SlaTimer).where(SlaTimer.lead_id == lead_id))).all()
        lead = await session.get(SalesLead, lead_id)
    assert timer.status == "met"  # accepted before the worker came back to it
    assert lead is not None
    assert lead.stage == "accepted"
    async with sessions.begin() as session:  # and the next round finds nothing due
        assert await fire_due_timers(session=session, outbox=Outbox(), now=NOW) == 0
