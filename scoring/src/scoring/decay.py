"""Decay's durable schedule: each lead holds the instant decay alone next changes its engagement
level (`lead_profiles.decay_due_at`, indexed); this worker claims the due ones with SKIP LOCKED,
so several instances share the work and none scans the whole table."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from leadkit.quarantine import Quarantine, guarded_round
from leadkit.service import Deps
from scoring.db.profiles import load_states
from scoring.handlers import Scoring, settle

_CLAIM_DUE = """
SELECT lead_id FROM lead_profiles
WHERE decay_due_at <= $1 AND lead_id::text <> ALL($3::text[])
  AND ($4::uuid[] IS NULL OR lead_id = ANY($4::uuid[]))
ORDER BY decay_due_at LIMIT $2 FOR UPDATE SKIP LOCKED
"""
_PENDING = """
SELECT lead_id FROM lead_profiles WHERE decay_due_at <= $1 AND lead_id::text <> ALL($3::text[])
ORDER BY decay_due_at LIMIT $2
"""
DECAY = Quarantine("scoring", "decay")


async def emit_decayed(
    conn: Connection,
    outbox: Outbox,
    scoring: Scoring,
    *,
    now: datetime,
    limit: int = 500,
    skip: Sequence[str] = (),
    only: Sequence[UUID] | None = None,
) -> int:
    """Re-score the leads whose decay instant has come (in the caller's transaction), passing over
    the quarantined ones in `skip` (or of `only` these); returns how many were due. Each is saved
    with its next instant; `lead.scored` goes out for those whose grade, level or qualification
    moved."""
    claimed = await conn.fetch(_CLAIM_DUE, now, limit, list(skip), None if only is None else list(only))
    due = [row["lead_id"] for row in claimed]
    if not due:
        return 0
    states = await load_states(conn, due)
    await settle(conn, outbox, scoring, states.values(), now=now, cause="decay")
    return len(due)


async def decay_round(
    pool: Pool,
    scoring: Scoring,
    *,
    now: datetime,
    limit: int,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> int | None:
    """One round; how many leads were due (None: the round was worked lead by lead)."""

    async def pending(conn: Connection, skip: list[str]) -> list[str]:
        return [str(row["lead_id"]) for row in await conn.fetch(_PENDING, now, limit, skip)]

    return await guarded_round(
        pool,
        DECAY,
        work=lambda conn, outbox, skip: emit_decayed(conn, outbox, scoring, now=now, limit=limit, skip=skip),
        pending=pending,
        one=lambda conn, outbox, lead: emit_decayed(conn, outbox, scoring, now=now, only=[UUID(lead)]),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_decay_worker(deps: Deps, *, scoring: Scoring, poll_seconds: float, limit: int = 500) -> None:
    while True:
        due = await decay_round(
            deps.pool,
            scoring,
            now=deps.clock(),
            limit=limit,
            notify=deps.notify_relay,
            on_outbox=deps.outbox_written,
        )
        if due is None or due < limit:
            await asyncio.sleep(poll_seconds)  # the schedule's resolution; a full claim goes again at once
