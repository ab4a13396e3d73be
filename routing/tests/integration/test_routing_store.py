"""routing's use cases on the real PostgreSQL with a controllable clock: queues served when hours
begin or capacity frees, recycled leads routed again, and two batches racing for one team's caps.

Each test has its own teams, reps and policy kind, so the service's roster and active policy are
never touched."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from lead_schemas import (
    LeadProfile,
    LeadProgressed,
    LeadQualified,
    LeadRecycled,
    LeadScored,
    LeadScoredData,
    RepChanged,
    RepChangedData,
    parse_event,
    rep_key,
)
from leadkit.consumer import HandlerContext
from leadkit.db import Pool, create_pool
from leadkit.hours import parse_hours
from leadkit.messaging import Outbox
from leadkit.policies import PolicyStore
from leadkit.policy_document import PolicyKind
from leadkit.quarantine import quarantined, release
from leadkit.testing import database_url_for_tests, migrate_test_database
from routing.batch import open_batch
from routing.db.roster import roster_check, upsert_reps, upsert_teams
from routing.db.views import delete_rep, set_rep_active
from routing.domain.config import RoutingConfig
from routing.domain.policy import DEFAULT_POLICY, parse_routing_policy
from routing.domain.roster import Rep, Team
from routing.handlers import route_leads
from routing.parts import RoutingParts
from routing.workers import queues_round

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = database_url_for_tests("routing")
TUESDAY_EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def migrated() -> None:
    migrate_test_database(ROOT, "routing")


@pytest.fixture
async def pool(migrated: None) -> AsyncIterator[Pool]:
    pool = await create_pool(DATABASE_URL, size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def team(pool: Pool) -> AsyncIterator[str]:
    """A team of this test's own; its reps, leads and records are removed after it."""
    team = f"it-{uuid4().hex[:8]}"
    yield team
    async with pool.acquire() as conn, conn.transaction():
        leads = [
            row["lead_id"]
            for row in await conn.fetch("SELECT lead_id FROM assignments WHERE team = $1", team)
        ]
        for table in ("assignments", "leads", "ledger"):
            await conn.execute(f"DELETE FROM {table} WHERE lead_id = ANY($1::uuid[])", leads)
        reps = [row["id"] for row in await conn.fetch("SELECT id FROM reps WHERE team = $1", team)]
        await conn.execute("DELETE FROM rep_loads WHERE rep_id = ANY($1::text[])", reps)
        await conn.execute("DELETE FROM reps WHERE team = $1", team)
        await conn.execute("DELETE FROM rotation WHERE team = $1", team)
        await conn.execute("DELETE FROM teams WHERE id = $1", team)


async def _parts(pool: Pool, team: str, reps: Sequence[Rep]) -> RoutingParts:
    """The team and its reps on the roster, and a policy kind of this test's own sending every
    qualified lead to the team."""
    async with pool.acquire() as conn, conn.transaction():
        await upsert_teams(conn, [Team(team, team)], TUESDAY_EVENING)
        hours = {rep.id: "mon-fri 09:00-17:00" if rep.hours else "" for rep in reps}  # as the API stores them
        await upsert_reps(conn, reps, hours, TUESDAY_EVENING)
    kind = PolicyKind(name=f"it-{team}", parse=parse_routing_policy, default_document=DEFAULT_POLICY)
    store = PolicyStore(kind, check=roster_check)
    async with pool.acquire() as conn:
        saved = await store.draft(conn, f'[fallback]\nteam = "{team}"\n', "toml")
        await store.activate(conn, saved.version)
    return RoutingParts(
        config=RoutingConfig(mql_threshold=50, teams=(), reps=()), policies=store, _roster_seeded=True
    )


def _rep(rep_id: str, team: str, **extra: Any) -> Rep:
    return Rep(id=rep_id, name=rep_id, email=f"{rep_id}@example.com", team=team, **extra)


def _scored(lead_id: UUID, at: datetime, *, qualified: bool = True) -> LeadScored:
    return LeadScored.new(
        producer="scoring",
        lead_id=lead_id,
        correlation_id=uuid4(),
        occurred_at=at,
        data=LeadScoredData(
            score=80,
            grade="A",
            fit_score=50,
            engagement_score=30,
            model_version="1",
            reasons=[],
            engagement_level="hot",
            qualified=qualified,
            lead=LeadProfile(country="DE"),
        ),
    )


async def _handle(
    pool: Pool, parts: RoutingParts, events: Sequence[Any], now: datetime
) -> list[LeadQualified]:
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        await route_leads(events, HandlerContext(connection=conn, outbox=outbox, now=now), parts=parts)
    return [e for e in (parse_event(row.payload) for row in outbox.rows) if isinstance(e, LeadQualified)]


async def _serve_queue(pool: Pool, parts: RoutingParts, team: str, now: datetime) -> list[LeadQualified]:
    outbox = Outbox()
    async with pool.acquire() as conn, conn.transaction():
        batch = await open_batch(conn, outbox, now, parts, ())
        await batch.lock({team})
        await batch.serve_queues({team})
        await batch.write()
    return [e for e in (parse_event(row.payload) for row in outbox.rows) if isinstance(e, LeadQualified)]


async def test_a_lead_qualified_after_hours_waits_in_the_queue_until_the_rep_s_day_begins(
    pool: Pool, team: str
) -> None:
    rep = _rep(f"{team}-ann", team, hours=parse_hours("mon-fri 09:00-17:00"))
    parts = await _parts(pool, team, [rep])
    lead = uuid4()
    (queued,) = await _handle(pool, parts, [_scored(lead, TUESDAY_EVENING)], TUESDAY_EVENING)
    assert queued.data.owner is None
    assert queued.data.team == team
    assert "outside working hours" in queued.data.reason
    assert await _serve_queue(pool, parts, team, TUESDAY_EVENING + timedelta(hours=12, minutes=59)) == []
    (served,) = await _serve_queue(pool, parts, team, TUESDAY_EVENING + timedelta(hours=13))  # Wed 09:00
    assert served.data.owner == rep.id
    assert served.data.assignment == 1
    assert "served from the queue after 46800 s" in served.data.reason


async def test_capacity_freed_by_a_won_lead_goes_to_the_queue_at_once(pool: Pool, team: str) -> None:
    rep = _rep(f"{team}-ben", team, max_open=1)
    parts = await _parts(pool, team, [rep])
    first, second = uuid4(), uuid4()
    decided = await _handle(
        pool, parts, [_scored(first, TUESDAY_EVENING), _scored(second, TUESDAY_EVENING)], TUESDAY_EVENING
    )
    assert [(e.lead_id, e.data.owner) for e in decided] == [(first, rep.id), (second, None)]
    assert "at capacity (1/1 open leads)" in decided[1].data.reason
    won = LeadProgressed.new(
        producer="sla-monitor",
        lead_id=first,
        correlation_id=uuid4(),
        occurred_at=TUESDAY_EVENING,
        data={"stage": "won", "owner": rep.id, "amount": "100.00", "currency": "EUR"},
    )
    (served,) = await _handle(pool, parts, [won], TUESDAY_EVENING + timedelta(minutes=5))
    assert (served.lead_id, served.data.owner) == (second, rep.id)


async def test_a_recycled_lead_is_routed_again_when_it_qualifies_again(pool: Pool, team: str) -> None:
    parts = await _parts(pool, team, [_rep(f"{team}-cy", team)])
    lead = uuid4()
    (first,) = await _handle(pool, parts, [_scored(lead, TUESDAY_EVENING)], TUESDAY_EVENING)
    assert (
        await _handle(pool, parts, [_scored(lead, TUESDAY_EVENING)], TUESDAY_EVENING) == []
    )  # keeps its owner
    recycled = LeadRecycled.new(
        producer="sla-monitor",
        lead_id=lead,
        correlation_id=uuid4(),
        occurred_at=TUESDAY_EVENING,
        data={"reason": "rejected_by_sales", "owner": first.data.owner},
    )
    later = TUESDAY_EVENING + timedelta(days=3)
    assert await _handle(pool, parts, [recycled, _scored(lead, later, qualified=False)], later) == []
    (again,) = await _handle(pool, parts, [_scored(lead, later)], later)
    assert again.data.owner == first.data.owner
    assert again.data.assignment == 2


async def test_two_batches_racing_for_one_team_never_overrun_its_daily_caps(pool: Pool, team: str) -> None:
    reps = [_rep(f"{team}-r{i}", team, daily_cap=2) for i in range(3)]
    parts = await _parts(pool, team, reps)
    leads = [uuid4() for _ in range(12)]
    batches = [leads[i::3] for i in range(3)]
    decided = await asyncio.gather(
        *(
            _handle(pool, parts, [_scored(lead, TUESDAY_EVENING) for lead in batch], TUESDAY_EVENING)
            for batch in batches
        )
    )
    owners = [event.data.owner for events in decided for event in events]
    assert len(owners) == 12
    assert sorted(owner for owner in owners if owner) == sorted([rep.id for rep in reps] * 2)
    assert owners.count(None) == 6


async def test_a_team_whose_queue_cannot_be_served_is_quarantined_and_the_others_are_served(
    pool: Pool, team: str
) -> None:
    other = f"it-{uuid4().hex[:8]}"
    try:
        served_here = await _two_queues_one_poisoned(pool, poisoned=other, healthy=team)
        assert served_here == {team}
        async with pool.acquire() as conn:
            assert other in {row.item for row in await quarantined(conn, "queues")}
            assert (
                await conn.fetchval("SELECT count(*) FROM leads WHERE team = $1 AND status = 'queued'", other)
                == 1
            )
            assert await release(conn, "queues", [other]) == 1
    finally:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM leads WHERE team = $1", other)
            await conn.execute("DELETE FROM reps WHERE team = $1", other)
            await conn.execute("DELETE FROM rotation WHERE team = $1", other)
            await conn.execute("DELETE FROM teams WHERE id = $1", other)


async def _two_queues_one_poisoned(pool: Pool, *, poisoned: str, healthy: str) -> set[str]:
    """A lead queued after hours in each team; the poisoned team's row no longer parses."""
    for name in (poisoned, healthy):
        parts = await _parts(
            pool, name, [_rep(f"{name}-ann", name, hours=parse_hours("mon-fri 09:00-17:00"))]
        )
        (queued,) = await _handle(pool, parts, [_scored(uuid4(), TUESDAY_EVENING)], TUESDAY_EVENING)
        assert queued.data.team == name
    async with pool.acquire() as conn:
        await conn.execute("UPDATE leads SET profile = '[1, 2]'::jsonb WHERE team = $1", poisoned)
    served: set[str] = set()
    morning = TUESDAY_EVENING + timedelta(hours=13)
    while (done := await queues_round(pool, parts, now=morning, notify=False)) != 0:
        assert done is None or done > 0
    async with pool.acquire() as conn:
        for name in (poisoned, healthy):
            if (
                await conn.fetchval("SELECT count(*) FROM leads WHERE team = $1 AND status = 'queued'", name)
                == 0
            ):
                served.add(name)
    return served


async def _announced(pool: Pool, rep_id: str) -> list[RepChangedData]:
    """What routing's outbox holds for the rep on rep.changed, oldest first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = 'rep.changed' AND key = $1 ORDER BY id",
            str(rep_key(rep_id)),
        )
    found = [parse_event(row["payload"]) for row in rows]
    assert all(isinstance(e, RepChanged) for e in found)
    return [e.data for e in found if isinstance(e, RepChanged)]


async def test_every_change_to_a_rep_is_announced_on_rep_changed_in_its_transaction(
    pool: Pool, team: str
) -> None:
    rep_id = f"{team}-ana"
    async with pool.acquire() as conn, conn.transaction():
        await upsert_teams(conn, [Team(team, team)], TUESDAY_EVENING)
        await upsert_reps(conn, [_rep(rep_id, team)], {}, TUESDAY_EVENING)
    async with pool.acquire() as conn:
        await set_rep_active(conn, rep_id, False, TUESDAY_EVENING)
        assert await delete_rep(conn, rep_id, TUESDAY_EVENING)
        assert not await delete_rep(conn, rep_id, TUESDAY_EVENING)  # already gone: nothing to announce
    assert await _announced(pool, rep_id) == [
        RepChangedData(rep_id=rep_id, team=team, active=True, deleted=False),
        RepChangedData(rep_id=rep_id, team=team, active=False, deleted=False),
        RepChangedData(rep_id=rep_id, team=team, active=False, deleted=True),
    ]
    async with pool.acquire() as conn:
        with contextlib.suppress(RuntimeError):
            async with conn.transaction():
                await upsert_reps(conn, [_rep(rep_id, team, active=True)], {}, TUESDAY_EVENING)
                raise RuntimeError("rolled back")
    assert len(await _announced(pool, rep_id)) == 3  # a change rolled back was never announced


async def test_a_process_start_announces_the_whole_roster(pool: Pool, team: str) -> None:
    """So sla-monitor learns reps that existed before rep.changed did, or changes it missed."""
    rep_id = f"{team}-bo"
    async with pool.acquire() as conn, conn.transaction():
        await upsert_teams(conn, [Team(team, team)], TUESDAY_EVENING)
        await upsert_reps(conn, [_rep(rep_id, team)], {}, TUESDAY_EVENING)
    before = len(await _announced(pool, rep_id))
    # a configuration whose team is there already: nothing to seed, the roster still announced
    config = RoutingConfig(mql_threshold=50, teams=(Team(team, team),), reps=())
    parts = RoutingParts(config=config, policies=None)  # type: ignore[arg-type]
    async with pool.acquire() as conn:
        await parts.ensure_roster(conn)
        await parts.ensure_roster(conn)  # once a process
    assert len(await _announced(pool, rep_id)) == before + 1
