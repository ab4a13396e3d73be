"""The funnel from the aggregates the handler keeps (hours, days, months) equals the funnel counted
from the lead rows, on the real database: counts and revenue exactly, velocity within the
histograms' 2 %; two instances projecting into the same cells at once both count; and counting
everything again from the projection gives exactly the cells the handler kept."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from lead_schemas import (
    LeadCaptured,
    LeadCapturedData,
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadQualifiedData,
    Person,
    Touch,
)
from leadkit.consumer import HandlerContext
from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from reporting.db.aggregates import recount
from reporting.db.funnel import FunnelRow, funnel
from reporting.domain.funnel import GroupBy
from reporting.domain.funnel_cells import ACCURACY
from reporting.handlers import project_events

SOURCES = ("google", "linkedin", "newsletter")
REPS = ("ada", "ben")


def _captured(lead: Any, at: datetime, source: str) -> LeadCaptured:
    touch = Touch(id=uuid4().hex, occurred_at=at, source=source, channel="paid", campaign=f"{source}-q1")
    data = LeadCapturedData(is_new=True, person=Person(), touch=touch)
    return LeadCaptured.new(producer="capture", lead_id=lead, correlation_id=lead, occurred_at=at, data=data)


def _qualified(lead: Any, at: datetime, owner: str) -> LeadQualified:
    data = LeadQualifiedData(owner=owner, reason="r", rule="round_robin", score=80, grade="A", assignment=1)
    return LeadQualified.new(producer="routing", lead_id=lead, correlation_id=lead, occurred_at=at, data=data)


def _progressed(lead: Any, at: datetime, stage: str, amount: str | None = None) -> LeadProgressed:
    data = LeadProgressedData(
        stage=stage,  # type: ignore[arg-type]
        amount=Decimal(amount) if amount else None,
        currency="EUR" if amount else None,
        reason="no_budget" if stage in ("lost", "rejected") else None,
    )
    return LeadProgressed.new(
        producer="sla-monitor", lead_id=lead, correlation_id=lead, occurred_at=at, data=data
    )


def _history(rng: random.Random, t0: datetime, days: int, leads: int) -> list[Any]:
    events: list[Any] = []
    for _ in range(leads):
        lead, at = uuid4(), t0 + timedelta(hours=rng.uniform(0, 24 * days))
        events.append(_captured(lead, at, rng.choice(SOURCES)))
        if rng.random() < 0.7:
            at += timedelta(hours=rng.uniform(0.01, 30))
            events.append(_qualified(lead, at, rng.choice(REPS)))
            for stage in ("accepted", "sql", "opportunity"):
                if rng.random() < 0.6:
                    at += timedelta(hours=rng.uniform(1, 200))
                    events.append(_progressed(lead, at, stage))
            ending = rng.choice(["won", "lost", None])
            if ending:
                at += timedelta(hours=rng.uniform(1, 300))
                events.append(_progressed(lead, at, ending, f"{rng.randrange(100, 9000)}.50"))
    return events


async def _project(conn: Connection, events: list[Any], *, poll: int = 23) -> None:
    """In polls of `poll` events, as a consumer would."""
    for first in range(0, len(events), poll):
        async with conn.transaction():
            await project_events(
                events[first : first + poll], HandlerContext(conn, Outbox(), datetime.now(UTC))
            )


async def _cells(conn: Connection, start: datetime, end: datetime) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every stored cell and histogram bucket of periods starting in [start, end), without the
    ones that came to nothing."""
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in await conn.fetch(
        "SELECT * FROM funnel_cells WHERE period >= $1 AND period < $2 AND leads <> 0", start, end
    ):
        values = dict(r)
        found[
            ("cell", values.pop("grain"), values.pop("dimension"), values.pop("period"), values.pop("key"))
        ] = tuple(values.values())
    for r in await conn.fetch("SELECT * FROM funnel_spans WHERE period >= $1 AND period < $2", start, end):
        if any(r["counts"]):
            found[("span", r["grain"], r["dimension"], r["period"], r["key"], r["step"])] = tuple(r["counts"])
    return found


def _assert_alike(summed: list[FunnelRow], counted: list[FunnelRow]) -> None:
    assert [row.key for row in summed] == [row.key for row in counted]
    for got, exact in zip(summed, counted, strict=True):
        assert got.model_dump(exclude={"velocity_hours"}) == exact.model_dump(exclude={"velocity_hours"})
        for step, spread in exact.velocity_hours.items():
            for share in ("median", "p90"):
                want, have = getattr(spread, share), getattr(got.velocity_hours[step], share)
                assert (want is None) == (have is None), (got.key, step)
                if want is not None:
                    # 2 % of the span, and the answer's rounding to the hundredth of an hour
                    assert abs(have - want) <= ACCURACY * abs(want) + 0.011, (got.key, step, share)


async def test_the_summed_funnel_equals_the_counted_one(pool: Pool) -> None:
    rng = random.Random(11)
    t0 = datetime(1975, 1, 1, tzinfo=UTC) + timedelta(days=30 * rng.randrange(100), hours=5)
    events = _history(rng, t0, days=75, leads=400)  # over three month boundaries
    rng.shuffle(events)  # a lead's events in any order, over many polls
    async with pool.acquire() as conn:
        await _project(conn, events)
        # cut mid-hour at both ends: whole months, days and hours from the cells, the ends live
        start, end = t0 + timedelta(hours=7, minutes=12), t0 + timedelta(days=74, hours=13, minutes=48)
        group_keys: list[GroupBy] = ["source", "rep", "campaign", "day", "week", "month", "grade"]
        for group_by in group_keys:
            summed = await funnel(conn, group_by=group_by, start=start, end=end, where={}, exact_up_to=0)
            assert sum(row.leads for row in summed) > 350
            exact = await funnel(conn, group_by=group_by, start=start, end=end, where={}, exact_up_to=10**9)
            _assert_alike(summed, exact)
        # a filtered funnel is counted from the rows: the same numbers as the summed one's row
        counted = await funnel(conn, group_by="source", start=start, end=end, where={"source": "google"})
        summed = await funnel(conn, group_by="source", start=start, end=end, where={}, exact_up_to=0)
        _assert_alike([row for row in summed if row.key == "google"], counted)


async def test_two_instances_at_once_and_a_recount_agree_cell_for_cell(pool: Pool) -> None:
    rng = random.Random(5)
    pick = rng.randrange(120)
    t0 = datetime(1960 + pick // 12, pick % 12 + 1, 1, tzinfo=UTC)
    events = _history(rng, t0, days=28, leads=200)
    by_lead: dict[Any, list[Any]] = {}
    for event in events:
        by_lead.setdefault(event.lead_id, []).append(event)
    leads = list(by_lead)
    halves = [[e for lead in leads[i::2] for e in by_lead[lead]] for i in (0, 1)]
    period = (t0 - timedelta(days=1), t0 + timedelta(days=400))
    async with pool.acquire() as first, pool.acquire() as second:
        # each instance its own leads (a partition each), both adding into the same month's cells
        await asyncio.gather(_project(first, halves[0], poll=7), _project(second, halves[1], poll=11))
        kept = await _cells(first, *period)
        await recount(first)
        recounted = await _cells(first, *period)
    assert kept
    assert kept == recounted
