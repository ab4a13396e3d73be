"""The service's way of sending (DeliveryWorker.run, a stream per subscription), on the real
database to a real endpoint: events queued in waves while attempts are in flight all arrive, once
each, every lead's in the order they were queued; a lead whose delivery keeps failing holds its
own later events and no other lead's; pausing a subscription ends its stream; a person erased
while their delivery waits in the stream's hand is never sent."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

from delivery_events import consume, progressed
from starlette.requests import Request
from starlette.responses import Response

from leadkit.db import Pool
from leadkit.testing import eventually, in_background
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import NewSubscription, create_subscription
from sla_monitor.delivery.workers import DeliveryWorker
from tests.receiver import Receiver, served

STAGES = ("accepted", "contacted", "meeting", "sql")


async def subscribed(pool: Pool, sender: Sending, url: str) -> UUID:
    new = NewSubscription("webhook", url, ["lead.progressed"], {}, "stream test")
    async with pool.acquire() as conn:
        stored, _ = await create_subscription(conn, sender, new, datetime.now(UTC))
    return stored.subscription.id


@contextlib.asynccontextmanager
async def running(worker: DeliveryWorker) -> AsyncIterator[None]:
    async with in_background(worker.run(poll_seconds=60)):  # only NOTIFYs wake it in time
        yield


def stages_by_lead(receiver: Receiver) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for request in receiver.received:
        data = json.loads(request.body)["data"]
        found.setdefault(data["lead_id"], []).append(data["stage"])
    return found


async def test_waves_of_events_arrive_once_each_in_order_per_lead_and_a_failing_lead_holds_only_itself(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id = await subscribed(pool, sender, receiver.url)
    leads = [uuid4() for _ in range(30)]
    stuck = leads[0]
    receiver.refuse_containing = str(stuck).encode()
    worker = DeliveryWorker(pool, sender, lambda: datetime.now(UTC), only=[subscription_id])
    try:
        async with running(worker):
            for stage in STAGES:  # a wave per stage, each queued while the one before is on its way
                await consume(pool, [progressed(lead, stage) for lead in leads], datetime.now(UTC))

            async def all_but_the_stuck_arrived() -> None:
                got = stages_by_lead(receiver)
                for lead in leads[1:]:
                    assert got.get(str(lead)) == list(STAGES)
                # and recorded: an answer received but not yet written would be cut off below
                async with pool.acquire() as conn:
                    found = await deliveries.deliveries_of(
                        conn, subscription_id, status=None, before=None, limit=500
                    )
                assert sum(d.status == "delivered" for d in found) == len(STAGES) * (len(leads) - 1)

            await eventually(all_but_the_stuck_arrived, within=30)
        ids = [
            request.headers["webhook-id"]
            for request in receiver.received
            if str(stuck).encode() not in request.body
        ]
        assert len(ids) == len(set(ids)) == len(STAGES) * (len(leads) - 1)  # each once
        assert set(stages_by_lead(receiver)[str(stuck)]) == {"accepted"}  # its later events wait
        async with pool.acquire() as conn:
            rows = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=500)
        waiting = sorted((d.event_type, d.status, d.attempts) for d in rows if d.lead_id == stuck)
        assert [status for _, status, _ in waiting].count("pending") == len(STAGES)
        assert sum(attempts for *_, attempts in waiting) >= 1
        assert sum(d.status == "delivered" for d in rows) == len(STAGES) * (len(leads) - 1)
    finally:
        async with pool.acquire() as conn:
            await subscriptions.delete_subscription(conn, subscription_id)


async def test_a_paused_subscription_keeps_its_events_until_resumed(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id = await subscribed(pool, sender, receiver.url)
    worker = DeliveryWorker(pool, sender, lambda: datetime.now(UTC), only=[subscription_id])
    lead = uuid4()
    try:
        async with pool.acquire() as conn:
            await subscriptions.set_paused(conn, subscription_id, True, datetime.now(UTC))
        await consume(pool, [progressed(lead, stage) for stage in STAGES], datetime.now(UTC))
        async with pool.acquire() as conn:
            queued = await deliveries.deliveries_of(
                conn, subscription_id, status="pending", before=None, limit=9
            )
        assert len(queued) == len(STAGES)
        assert await worker.round() == 0  # a paused subscription is not leased: nothing is sent
        assert receiver.received == []
        async with running(worker):
            async with pool.acquire() as conn:
                await subscriptions.set_paused(conn, subscription_id, False, datetime.now(UTC))  # wakes it

            async def all_arrived() -> None:
                assert stages_by_lead(receiver).get(str(lead)) == list(STAGES)

            await eventually(all_arrived, within=30)
    finally:
        async with pool.acquire() as conn:
            await subscriptions.delete_subscription(conn, subscription_id)


class Slow(Receiver):
    """An endpoint that takes half a second to answer: deliveries wait in the stream's hand."""

    async def _handle(self, request: Request) -> Response:
        await asyncio.sleep(0.5)
        return await super()._handle(request)


async def test_a_person_erased_while_their_delivery_waits_in_hand_is_never_sent(
    pool: Pool, sender: Sending
) -> None:
    async with served(Slow()) as slow:
        subscription_id = await subscribed(pool, sender, slow.url)
        # one send at a time: the other leads' deliveries wait in the stream's hand
        worker = DeliveryWorker(
            pool, sender, lambda: datetime.now(UTC), per_subscription=1, only=[subscription_id]
        )
        leads = [uuid4() for _ in range(4)]
        erased = leads[2]
        try:
            async with running(worker):
                await consume(pool, [progressed(lead, "accepted") for lead in leads], datetime.now(UTC))

                async def first_on_the_wire() -> None:
                    assert slow.received

                await eventually(first_on_the_wire, within=10)
                async with pool.acquire() as conn, conn.transaction():
                    await deliveries.forget_people(conn, [erased])

                async def the_others_arrived() -> None:
                    got = stages_by_lead(slow)
                    assert all(str(lead) in got for lead in leads if lead != erased)

                await eventually(the_others_arrived, within=20)
            assert str(erased) not in stages_by_lead(slow)
            async with pool.acquire() as conn:
                rows = await deliveries.deliveries_of(
                    conn, subscription_id, status=None, before=None, limit=9
                )
            assert {d.lead_id: d.status for d in rows}[erased] == "skipped"
        finally:
            async with pool.acquire() as conn:
                await subscriptions.delete_subscription(conn, subscription_id)
