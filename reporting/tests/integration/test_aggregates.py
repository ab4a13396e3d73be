"""Attribution from the aggregates the handler keeps equals attribution from the journeys
themselves, on the real database: events through the live projection in polls of any order, the
window cut mid-hour; and counting everything again gives the tables the handler kept."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from lead_schemas import LeadCaptured, LeadCapturedData, LeadProgressed, LeadProgressedData, Person, Touch
from leadkit.consumer import HandlerContext
from leadkit.db import Pool
from leadkit.messaging import Outbox
from reporting.db.aggregates import recount
from reporting.db.attribution_aggregates import window_tally
from reporting.db.journeys import load_journeys
from reporting.domain.attribution import MODELS, attribute, attribute_tally
from reporting.handlers import project_events

SOURCES = ("google", "linkedin", "newsletter", "partner")


def captured(lead: object, at: datetime, source: str, *, new: bool) -> LeadCaptured:
    touch = Touch(id=uuid4().hex, occurred_at=at, source=source, channel=source)
    return LeadCaptured.new(
        producer="capture",
        lead_id=lead,
        correlation_id=lead,
        occurred_at=at,  # type: ignore[arg-type]
        data=LeadCapturedData(is_new=new, person=Person(), touch=touch),
    )


def won(lead: object, at: datetime, amount: str) -> LeadProgressed:
    data = LeadProgressedData(stage="won", amount=Decimal(amount), currency="EUR")
    return LeadProgressed.new(
        producer="sla-monitor", lead_id=lead, correlation_id=lead, occurred_at=at, data=data
    )  # type: ignore[arg-type]


async def test_a_window_from_aggregates_equals_the_journeys_counted_whole(pool: Pool) -> None:
    rng = random.Random(7)
    t0 = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(3000))  # a quiet stretch of its own
    events = []
    for _ in range(60):
        lead, at = uuid4(), t0 + timedelta(hours=rng.uniform(0, 24 * 6))
        for index in range(rng.randrange(1, 4)):
            events.append(
                captured(lead, at + timedelta(hours=7 * index), rng.choice(SOURCES), new=index == 0)
            )
        if rng.random() < 0.5:
            events.append(
                won(lead, at + timedelta(hours=rng.uniform(20, 60)), f"{rng.randrange(100, 900)}.00")
            )
    rng.shuffle(events)  # a lead's events come in any order, over many polls
    async with pool.acquire() as conn:
        for first in range(0, len(events), 17):
            async with conn.transaction():
                await project_events(events[first : first + 17], HandlerContext(conn, Outbox(), t0))
        # cut mid-hour at both ends: whole days, whole hours and two ends counted live
        start, end = t0 + timedelta(hours=5, minutes=13), t0 + timedelta(days=8, hours=3, minutes=41)

        async def answers() -> dict[str, list[tuple[str, float, Decimal]]]:
            found = await window_tally(
                conn, outcome="won", key="source", start=start, end=end, models=MODELS, half_life_hours=168.0
            )
            result = attribute_tally(found, MODELS)
            return {
                m: [(c.key, round(c.conversions, 6), c.revenue) for c in rows]
                for m, rows in result.models.items()
            }

        journeys = await load_journeys(conn, outcome="won", key="source", start=start, end=end)
        whole = attribute(journeys, MODELS)
        expected = {
            m: [(c.key, round(c.conversions, 6), c.revenue) for c in rows] for m, rows in whole.models.items()
        }
        assert whole.conversions > 0
        kept = await answers()  # as the handler kept the aggregates, poll by poll
        await recount(conn)
        recounted = await answers()  # every aggregate counted again from the projection
    # the same keys and conversions; revenue to the cent, or a cent apart where sums of the shares
    # in another order round the other way (each model's total is exact either way)
    for found in (kept, recounted):
        for model, rows in expected.items():
            got = found[model]
            assert [key for key, _, _ in got] == [key for key, _, _ in rows], model
            assert [c for _, c, _ in got] == pytest.approx([c for _, c, _ in rows]), model
            assert all(
                abs(a - b) <= Decimal("0.01") for (_, _, a), (_, _, b) in zip(got, rows, strict=True)
            ), model
            assert sum(r for _, _, r in got) == sum(r for _, _, r in rows), model
