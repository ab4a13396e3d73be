"""Decay's durable schedule: each lead holds the instant decay alone next changes its engagement
level (`lead_profiles.decay_due_at`, indexed); this worker claims the due ones with SKIP LOCKED,
so several instances share the work and none scans the whole table."""

from __future__ import annotations

import asyncio
from datetime import datetime

from leadkit.db import Connection
from leadkit.messaging import Outbox
from leadkit.service import Deps
from scoring.handlers import Scoring, settle
from scoring.store import load_states

_CLAIM_DUE = """
SELECT lead_id FROM lead_profiles WHERE decay_due_at <= $1
ORDER BY decay_due_at LIMIT $2 FOR UPDATE SKIP LOCKED
"""


async def emit_decayed(
    conn: Connection, outbox: Outbox, scoring: Scoring, *, now: datetime, limit: int = 500
) -> int:
    """Re-score the leads whose decay instant has come (in the caller's transaction); returns
    how many were due. Each is saved with its next instant; `lead.scored` goes out for those
    whose grade, level or qualification moved."""
    due = [row["lead_id"] for row in await conn.fetch(_CLAIM_DUE, now, limit)]
    if not due:
        return 0
    states = await load_states(conn, due)
    await settle(conn, outbox, scoring, states.values(), now=now, cause="decay")
    return len(due)


async def run_decay_worker(deps: Deps, *, scoring: Scoring, poll_seconds: float, limit: int = 500) -> None:
    while True:
        async with deps.pooled_transaction() as (conn, outbox):
            due = await emit_decayed(conn, outbox, scoring, now=deps.clock(), limit=limit)
        if due < limit:
            await asyncio.sleep(poll_seconds)  # the schedule's resolution; a full claim goes again at once
