"""scoring's background loops, each safe on any number of instances:

- decay: each lead holds the instant decay alone next changes its engagement level
  (`lead_profiles.decay_due_at`, indexed); the due ones are claimed with SKIP LOCKED, so
  instances share the work and none scans the whole table;
- fit: the outcome classifier is fitted again when more leads have outcomes than the last fit
  saw (fitting.py);
- re-score: after an activation (or a rollback) every known lead is scored again under the new
  model, a batch at a time, by whichever process holds the job's row. `lead.scored` goes out only
  for leads whose grade, level or qualification changed.

A lead that fails is quarantined (`leadkit.quarantine`) and the rest go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox, outboxed_transaction
from leadkit.quarantine import Quarantine, guarded_round
from leadkit.service import Deps
from scoring.db import rescore_jobs
from scoring.db.outcomes import leads_with_verdicts_count
from scoring.db.predictors import latest_fit
from scoring.db.profiles import load_states
from scoring.fitting import fit_now
from scoring.handlers import Scoring, settle

DECAY = Quarantine("scoring", "decay")
RESCORE = Quarantine("scoring", "rescore")


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
    due = await rescore_jobs.claim_decay_due(conn, now, limit, skip, only)
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
    return await guarded_round(
        pool,
        DECAY,
        work=lambda conn, outbox, skip: emit_decayed(conn, outbox, scoring, now=now, limit=limit, skip=skip),
        pending=lambda conn, skip: rescore_jobs.decay_pending(conn, now, limit, skip),
        one=lambda conn, outbox, lead: emit_decayed(conn, outbox, scoring, now=now, only=[UUID(lead)]),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_decay_worker(deps: Deps, *, scoring: Scoring, limit: int = 500) -> None:
    """Re-score what decay made due; a full claim goes again at once, else the worker rests until
    the next lead's decay is due (`leadkit.next_due`: what this instance scores wakes it sooner)."""
    while True:
        started = deps.clock()
        due = await decay_round(
            deps.pool,
            scoring,
            now=started,
            limit=limit,
            notify=deps.notify_relay,
            on_outbox=deps.outbox_written,
        )
        scoring.decay_due.looked(round_started=started)
        if due is not None and due >= limit:
            continue
        async with deps.pool.acquire() as conn:
            upcoming = await rescore_jobs.next_decay(conn, await DECAY.items(conn))
        await scoring.decay_due.rest(clock=deps.clock, next_due=upcoming)


async def rescore_batch(
    conn: Connection, scoring: Scoring, *, now: datetime, batch: int, notify: bool, skip: Sequence[str] = ()
) -> int | None:
    """One batch of the oldest unfinished job, in its own transaction. Returns the leads done,
    or None when no job is waiting (or another process holds it)."""
    async with outboxed_transaction(conn, notify=notify) as outbox:
        return await rescore_step(conn, outbox, scoring, now=now, batch=batch, skip=skip)


async def rescore_step(
    conn: Connection, outbox: Outbox, scoring: Scoring, *, now: datetime, batch: int, skip: Sequence[str] = ()
) -> int | None:
    """`rescore_batch` in the caller's transaction, passing over the quarantined leads in `skip`."""
    job = await rescore_jobs.claim_job(conn)
    if job is None:
        return None
    lead_ids = await rescore_jobs.leads_after(conn, job.cursor, batch)
    changed = 0
    scored = await rescore_jobs.without(conn, lead_ids, skip)
    if scored:
        states = await load_states(conn, scored)
        changed = await settle(conn, outbox, scoring, states.values(), now=now, cause="activation")
    finished = len(lead_ids) < batch
    last = lead_ids[-1] if lead_ids else None
    await rescore_jobs.advance_job(conn, job, last, len(lead_ids), changed, finished=finished)
    return len(lead_ids)


async def _rescore_one(conn: Connection, outbox: Outbox, scoring: Scoring, lead: str, now: datetime) -> None:
    states = await load_states(conn, [UUID(lead)])
    await settle(conn, outbox, scoring, states.values(), now=now, cause="activation")


async def rescore_round(
    pool: Pool,
    scoring: Scoring,
    *,
    now: datetime,
    batch: int,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> int | None:
    """One batch; None when no job waits (or the batch was worked lead by lead)."""
    return await guarded_round(
        pool,
        RESCORE,
        work=lambda conn, outbox, skip: rescore_step(conn, outbox, scoring, now=now, batch=batch, skip=skip),
        pending=lambda conn, skip: rescore_jobs.next_job_leads(conn, batch),
        one=lambda conn, outbox, lead: _rescore_one(conn, outbox, scoring, lead, now),
        notify=notify,
        on_outbox=on_outbox,
    )


async def run_rescore_worker(deps: Deps, *, scoring: Scoring, poll_seconds: float, batch: int) -> None:
    """Works the waiting job a batch at a time. A job comes with an activation, from this process
    or another (the CLI): the idle worker looks for one each `poll_seconds` with one cheap read,
    no transaction."""
    while True:
        async with deps.pool.acquire() as conn:
            waiting = await rescore_jobs.job_waiting(conn)
        if not waiting:
            await asyncio.sleep(poll_seconds)
            continue
        done = await rescore_round(
            deps.pool,
            scoring,
            now=deps.clock(),
            batch=batch,
            notify=deps.notify_relay,
            on_outbox=deps.outbox_written,
        )
        if done is None:
            await asyncio.sleep(poll_seconds)


async def run_fit_worker(
    deps: Deps, *, scoring: Scoring, interval: float, min_leads: int, min_conversions: int
) -> None:
    """Refit when more leads have outcomes than the last fit saw."""
    while True:
        async with deps.pool.acquire() as conn:
            leads = await leads_with_verdicts_count(conn)
            latest = await latest_fit(conn)
        if leads >= min_leads and (latest is None or leads > (latest.outcome_leads or 0)):
            await fit_now(
                deps.pool, scoring, now=deps.clock(), min_leads=min_leads, min_conversions=min_conversions
            )
        await asyncio.sleep(interval)
