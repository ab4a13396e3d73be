"""scoring's use cases on the real PostgreSQL with a controllable clock: decay's durable schedule,
recycling, re-scoring on activation, and two workers sharing the schedule."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from lead_schemas import LeadCaptured, LeadErased, LeadRecycled, LeadScored, parse_event
from leadkit.consumer import HandlerContext
from leadkit.db import Pool, create_pool
from leadkit.erasure import record_erased
from leadkit.messaging import Outbox
from leadkit.policies import PolicyStore
from leadkit.policy_document import PolicyKind
from leadkit.quarantine import quarantined, release
from leadkit.testing import database_url_for_tests, migrate_test_database
from scoring.db.rescore_jobs import job_progress, latest_job, start_rescore
from scoring.domain.model import DEFAULT_MODEL, parse_rule_model
from scoring.handlers import Scoring, forget_lead_facts, record_outcomes, score_captured_leads
from scoring.predictors import Predictors
from scoring.workers import decay_round, emit_decayed, rescore_batch, rescore_round

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = database_url_for_tests("scoring")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# A senior buyer's fit is an A; one webinar (40 points, half-life 1 hour) makes them hot.
WEBINAR_MODEL = """
label = "webinar, fast decay"
[grades]
A = { min = 20 }
[levels]
hot = 30
warm = 10
cold = 0
[qualification]
A = ["hot"]
[[rules]]
id = "senior"
kind = "fit"
field = "job_title"
op = "contains_any"
value = ["vp"]
points = 25
[[rules]]
id = "webinar"
kind = "engagement"
touch = { type = ["webinar_attended"] }
half_life = "1h"
points = 40
"""
STRICTER = WEBINAR_MODEL.replace("hot = 30", "hot = 45").replace(
    'label = "webinar, fast decay"', 'label = "stricter"'
)


@pytest.fixture(scope="module")
def migrated() -> None:
    migrate_test_database(ROOT, "scoring")


@pytest.fixture
async def pool(migrated: None) -> AsyncIterator[Pool]:
    pool = await create_pool(DATABASE_URL, size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def scoring(pool: Pool) -> Scoring:
    """A model kind of this test's own, so the service's active model is never touched."""
    kind = PolicyKind(name=f"it-{uuid4().hex[:8]}", parse=parse_rule_model, default_document=DEFAULT_MODEL)
    store = PolicyStore(kind, on_activated=start_rescore)
    async with pool.acquire() as conn:
        version = await store.draft(conn, WEBINAR_MODEL, "toml")
        await store.activate(conn, version.version)
    return Scoring(models=store, predictors=Predictors())


@pytest.fixture
async def leads(pool: Pool) -> AsyncIterator[list[UUID]]:
    """The leads a test makes; removed after it, so no scoring instance finds them due later."""
    made: list[UUID] = []
    yield made
    async with pool.acquire() as conn:
        for table in ("touches", "scores", "outcomes", "lead_profiles"):
            await conn.execute(f"DELETE FROM {table} WHERE lead_id = ANY($1::uuid[])", made)
        await conn.execute("UPDATE rescore_jobs SET finished_at = now() WHERE finished_at IS NULL")


def _webinar(
    lead_id: UUID, at: datetime, title: str = "VP Sales", type: str = "webinar_attended"
) -> LeadCaptured:
    return LeadCaptured.new(
        producer="capture",
        lead_id=lead_id,
        correlation_id=uuid4(),
        occurred_at=at,
        data={
            "is_new": True,
            "person": {"email": f"{lead_id.hex[:8]}@corp.example", "job_title": title},
            "touch": {"id": uuid4().hex, "occurred_at": at.isoformat(), "type": type},
        },
    )


async def _handle(pool: Pool, handler, events, scoring: Scoring, now: datetime) -> list[LeadScored]:  # type: ignore[no-untyped-def]
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        await handler(events, HandlerContext(connection=conn, outbox=outbox, now=now), scoring=scoring)
    return _scored(outbox)


def _scored(outbox: Outbox) -> list[LeadScored]:
    events = [parse_event(row.payload) for row in outbox.rows if row.topic == "lead.scored"]
    return [event for event in events if isinstance(event, LeadScored)]


async def _decay(pool: Pool, scoring: Scoring, now: datetime) -> list[LeadScored]:
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        await emit_decayed(conn, outbox, scoring, now=now)
    return _scored(outbox)


async def _due_at(pool: Pool, lead_id: UUID) -> datetime | None:
    async with pool.acquire() as conn:
        due: datetime | None = await conn.fetchval(
            "SELECT decay_due_at FROM lead_profiles WHERE lead_id = $1", lead_id
        )
        return due


async def test_decay_alone_unqualifies_a_lead_at_its_scheduled_instant(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    lead_id = uuid4()
    leads.append(lead_id)
    [scored] = await _handle(pool, score_captured_leads, [_webinar(lead_id, NOW)], scoring, NOW)
    assert (scored.data.qualified, scored.data.engagement_level, scored.data.cause) == (
        True,
        "hot",
        "captured",
    )
    due = await _due_at(pool, lead_id)
    # 40 · 0.5^(d / 1h) rounds below 30 once under 29.5: d = log2(40 / 29.5) hours ≈ 26.4 minutes
    assert due is not None
    assert abs((due - NOW).total_seconds() - 3600 * math.log2(40 / 29.5)) < 1
    assert await _decay(pool, scoring, due - timedelta(seconds=1)) == []  # not due yet: nothing
    [decayed] = await _decay(pool, scoring, due)
    assert decayed.lead_id == lead_id
    assert (decayed.data.qualified, decayed.data.engagement_level, decayed.data.cause) == (
        False,
        "warm",
        "decay",
    )
    assert decayed.data.previous_qualified is True
    assert decayed.causation_id is None
    assert decayed.data.engagement_score == 29
    assert sum(hit.points for hit in decayed.data.reasons) == decayed.data.score
    later = await _due_at(pool, lead_id)  # the next crossing, warm → cold
    assert later is not None
    assert later > due
    assert await _decay(pool, scoring, due) == []  # claimed once: the same instant emits nothing again


async def test_two_decay_workers_emit_each_due_lead_once(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    leads.extend(uuid4() for _ in range(40))
    await _handle(pool, score_captured_leads, [_webinar(lead_id, NOW) for lead_id in leads], scoring, NOW)
    when = NOW + timedelta(hours=1)
    first, second = await asyncio.gather(_decay(pool, scoring, when), _decay(pool, scoring, when))
    emitted = [event.lead_id for event in first + second]
    assert sorted(emitted) == sorted(leads)


async def test_a_recycled_lead_starts_engagement_again_and_requalifies_by_engaging(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    lead_id = uuid4()
    leads.append(lead_id)
    await _handle(pool, score_captured_leads, [_webinar(lead_id, NOW)], scoring, NOW)
    recycled = LeadRecycled.new(
        producer="sla-monitor",
        lead_id=lead_id,
        correlation_id=uuid4(),
        occurred_at=NOW + timedelta(minutes=5),
        data={"reason": "rejected_by_sales", "detail": "bad_timing"},
    )
    [reset] = await _handle(pool, record_outcomes, [recycled], scoring, NOW + timedelta(minutes=5))
    assert (reset.data.cause, reset.data.engagement_score, reset.data.qualified) == ("recycled", 0, False)
    assert await _due_at(pool, lead_id) is None  # nothing left to decay
    [again] = await _handle(
        pool,
        score_captured_leads,
        [_webinar(lead_id, NOW + timedelta(minutes=10))],
        scoring,
        NOW + timedelta(minutes=10),
    )
    assert (again.data.qualified, again.data.engagement_score) == (True, 40)


async def test_activation_rescores_every_lead_and_emits_only_those_that_changed(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    hot, cold = uuid4(), uuid4()
    leads.extend([hot, cold])
    await _handle(
        pool,
        score_captured_leads,
        [_webinar(hot, NOW), _webinar(cold, NOW, title="Intern", type="page_visit")],
        scoring,
        NOW,
    )
    async with pool.acquire() as conn:
        stricter = await scoring.models.draft(conn, STRICTER, "toml")
        await scoring.models.activate(conn, stricter.version)  # starts the job in the same transaction
        job_id = await latest_job(conn, stricter.version)
        assert job_id is not None
        outbox_before = await conn.fetchval("SELECT count(*) FROM outbox")
        while (await job_progress(conn, job_id)).finished_at is None:
            await rescore_batch(conn, scoring, now=NOW, batch=500, notify=False)
        job = await job_progress(conn, job_id)
        rescored = await conn.fetch(
            "SELECT lead_id, qualified FROM scores WHERE cause = 'activation' AND lead_id = ANY($1::uuid[])",
            [hot, cold],
        )
        versions = await conn.fetch(
            "SELECT model_version FROM lead_profiles WHERE lead_id = ANY($1::uuid[])", [hot, cold]
        )
        outbox_after = await conn.fetchval("SELECT count(*) FROM outbox")
    assert job.done >= 2
    # the buyer drops out of `hot` (40 < 45) and so out of the MQLs; the cold intern stays as they were
    assert [(row["lead_id"], row["qualified"]) for row in rescored] == [(hot, False)]
    assert {row["model_version"] for row in versions} == {str(stricter.version)}
    assert outbox_after - outbox_before >= 1


async def test_an_erased_person_s_facts_stay_erased_through_re_scoring(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    lead_id = uuid4()
    leads.append(lead_id)
    await _handle(pool, score_captured_leads, [_webinar(lead_id, NOW)], scoring, NOW)
    erased = LeadErased.new(
        producer="capture",
        lead_id=lead_id,
        correlation_id=uuid4(),
        occurred_at=NOW,
        data={"requested_at": NOW.isoformat()},
    )
    async with pool.acquire() as conn, conn.transaction():
        await forget_lead_facts([erased], HandlerContext(connection=conn, outbox=Outbox(), now=NOW))
    async with pool.acquire() as conn:
        again = await scoring.models.draft(conn, WEBINAR_MODEL, "toml")
        await scoring.models.activate(conn, again.version)
        job_id = await latest_job(conn, again.version)
        assert job_id is not None
        while (await job_progress(conn, job_id)).finished_at is None:
            await rescore_batch(conn, scoring, now=NOW, batch=500, notify=False)
        facts = await conn.fetchval("SELECT facts::text FROM lead_profiles WHERE lead_id = $1", lead_id)
        fit = await conn.fetchval("SELECT fit_score FROM lead_profiles WHERE lead_id = $1", lead_id)
    assert facts == '{"erased": true}'
    assert fit == 0  # the VP title is gone with the rest


async def _poisoned_and_healthy(pool: Pool, scoring: Scoring, leads: list[UUID]) -> tuple[UUID, UUID]:
    """Two scored leads; the first one's facts no longer load (a list where an object belongs)."""
    poisoned, healthy = uuid4(), uuid4()
    leads.extend((poisoned, healthy))
    await _handle(pool, score_captured_leads, [_webinar(lead, NOW) for lead in leads], scoring, NOW)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE lead_profiles SET facts = '[1, 2]'::jsonb WHERE lead_id = $1", poisoned)
    return poisoned, healthy


async def test_a_lead_that_fails_to_decay_is_quarantined_and_the_others_decay(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    poisoned, healthy = await _poisoned_and_healthy(pool, scoring, leads)
    when = NOW + timedelta(hours=1)
    while (due := await decay_round(pool, scoring, now=when, limit=500, notify=False)) != 0:
        assert due is None or due > 0
    assert (await _due_at(pool, healthy) or when) > when  # decayed: its next instant is later
    assert (await _due_at(pool, poisoned) or when) <= when  # still due: set aside, not lost
    async with pool.acquire() as conn:
        assert str(poisoned) in {row.item for row in await quarantined(conn, "decay")}
        # erased while quarantined: the stored error, which may quote what failed, keeps no words
        await record_erased(conn, [poisoned], NOW)
        (row,) = [row for row in await quarantined(conn, "decay") if row.item == str(poisoned)]
        assert row.error == "erased: the error is not kept"
        await release(conn, "decay", [str(poisoned)])


async def test_a_lead_that_fails_to_re_score_is_quarantined_and_the_job_finishes(
    pool: Pool, scoring: Scoring, leads: list[UUID]
) -> None:
    poisoned, healthy = await _poisoned_and_healthy(pool, scoring, leads)
    async with pool.acquire() as conn:
        stricter = await scoring.models.draft(conn, STRICTER, "toml")
        await scoring.models.activate(conn, stricter.version)
        job_id = await latest_job(conn, stricter.version)
        assert job_id is not None
    for _ in range(1000):  # each round a batch, or a failed batch worked lead by lead
        async with pool.acquire() as conn:
            if (await job_progress(conn, job_id)).finished_at is not None:
                break
        await rescore_round(pool, scoring, now=NOW, batch=500, notify=False)
    async with pool.acquire() as conn:
        assert (await job_progress(conn, job_id)).finished_at is not None
        assert str(poisoned) in {row.item for row in await quarantined(conn, "rescore")}
        version = await conn.fetchval("SELECT model_version FROM lead_profiles WHERE lead_id = $1", healthy)
        assert version == str(stricter.version)  # the rest of the job went on
        await release(conn, "rescore", [str(poisoned)])
