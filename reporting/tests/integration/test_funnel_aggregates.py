"""The funnel from the day and month aggregates equals the funnel counted from the lead rows, on
the real database: counts and revenue exactly, velocity within the histograms' 2 %; and two
refreshers sharing a month's days leave that month equal to the sum of its days."""

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
from reporting.db.funnel import FunnelRow, funnel
from reporting.db.funnel_aggregates import refresh_funnel
from reporting.domain.funnel import GroupBy
from reporting.domain.funnel_cells import ACCURACY, FunnelCell, cell_from
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


async def _project(conn: Connection, events: list[Any]) -> None:
    async with conn.transaction():
        await project_events(events, HandlerContext(conn, Outbox(), datetime.now(UTC)))


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
    async with pool.acquire() as conn:
        await _project(conn, _history(rng, t0, days=75, leads=400))  # over three month boundaries
        while await refresh_funnel(conn, limit=20):
            pass
        # a lead of one refreshed day moves on: that day is marked and counted live again
        late = uuid4()
        await _project(conn, [_captured(late, t0 + timedelta(days=40, hours=2), "google")])
        start, end = t0 + timedelta(hours=7), t0 + timedelta(days=74, hours=13)  # cut mid-day at both ends
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


async def _month_cells(conn: Connection, table: str, month: Any) -> dict[tuple[str, str], FunnelCell]:
    column = "month" if table == "funnel_months" else "day"
    found: dict[tuple[str, str], FunnelCell] = {}
    query = (
        f"SELECT dimension, key, counts, revenue, spans FROM {table} WHERE date_trunc('month', {column}) = $1"
    )
    for r in await conn.fetch(query, month):
        found.setdefault((r["dimension"], r["key"]), FunnelCell()).add(
            cell_from(r["counts"], r["revenue"], r["spans"])
        )
    return found


async def test_two_refreshers_sharing_a_month_leave_it_the_sum_of_its_days(pool: Pool) -> None:
    rng = random.Random(5)
    pick = rng.randrange(120)
    t0 = datetime(1960 + pick // 12, pick % 12 + 1, 1, tzinfo=UTC)
    async with pool.acquire() as first, pool.acquire() as second:
        await _project(first, _history(rng, t0, days=28, leads=200))
        # each claims days of its own (SKIP LOCKED) and rewrites the same month
        while sum(await asyncio.gather(refresh_funnel(first, limit=3), refresh_funnel(second, limit=3))):
            pass
        month = datetime(t0.year, t0.month, 1)  # noqa: DTZ001  date_trunc of a date: a naive timestamp
        months, days = (
            await _month_cells(first, "funnel_months", month),
            await _month_cells(first, "funnel_days", month),
        )
    assert months
    assert months.keys() == days.keys()
    for key, cell in days.items():
        assert (months[key].counts == cell.counts).all(), key
        assert (months[key].spans == cell.spans).all(), key
        assert months[key].revenue == cell.revenue
