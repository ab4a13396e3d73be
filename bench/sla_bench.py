"""The SLA timer sweep under a burst: 10,000 clocks of the running sla-monitor falling due in the
same second. Measures how long until every one has fired (the issue's target: 10 s) and how late
each fired after its due time (the breach tolerance docs/sla.md documents).

The clocks are written straight into sla-monitor's bench database, as lead.qualified would have
started them; they escalate by `notify` (a manager notification), so routing reassigns nothing.
Their leads and timers are deleted afterwards (the breaches go out as events like any other)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg

from leadkit.testing import eventually

_LEADS = """
INSERT INTO leads (lead_id, owner, correlation_id, qualified_event_id, team, tier, sla_version, assignment,
                   qualified_at)
SELECT id, 'bench-rep', id, id, 'bench', 'bench', NULL, 1, $2 FROM unnest($1::uuid[]) AS id
"""
_TIMERS = """
INSERT INTO timers (lead_id, clock, escalation, escalation_step, owner, started_at, due_at, status,
                    cause_event_id, tier, team, target_minutes)
SELECT id, 'accept', 'notify', 1, 'bench-rep', $2, $3, 'pending', id, 'bench', 'bench', 30
FROM unnest($1::uuid[]) AS id
"""
_OPEN = "SELECT count(*) FROM timers WHERE lead_id = ANY($1::uuid[]) AND status = 'pending'"
_LATENESS = """
SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - due_at)),
       max(extract(epoch FROM closed_at - due_at)), max(closed_at)
FROM timers WHERE lead_id = ANY($1::uuid[])
"""


def _dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://").replace("?ssl=disable", "")


async def timer_sweep_burst(database_url: str, timers: int = 10_000) -> dict[str, Any]:
    conn = await asyncpg.connect(_dsn(database_url))
    ids = [uuid4() for _ in range(timers)]
    try:
        now = datetime.now(UTC)
        due = now.replace(microsecond=0) + timedelta(seconds=5)  # all in the same second
        async with conn.transaction():
            await conn.execute(_LEADS, ids, now)
            await conn.execute(_TIMERS, ids, now - timedelta(minutes=30), due)
        await asyncio.sleep(max((due - datetime.now(UTC)).total_seconds(), 0))
        started = time.perf_counter()

        async def all_fired() -> None:
            assert await conn.fetchval(_OPEN, ids) == 0

        await eventually(all_fired, within=120, interval=0.05)
        polled = time.perf_counter() - started
        (median, p99), worst, last = await conn.fetchrow(_LATENESS, ids)
    finally:
        await conn.execute("DELETE FROM timers WHERE lead_id = ANY($1::uuid[])", ids)
        await conn.execute("DELETE FROM leads WHERE lead_id = ANY($1::uuid[])", ids)
        await conn.close()
    return {
        "timers": timers,
        "due_at": due.isoformat(),
        "seconds_until_all_fired": round((last - due).total_seconds(), 2),
        "seconds_until_seen_all_fired": round(polled, 2),
        "lateness_seconds": {"median": round(median, 3), "p99": round(p99, 3), "max": round(float(worst), 3)},
        "target_seconds": 10,
    }
