"""Deliveries on the real database, to a real HTTP endpoint on 127.0.0.1: queued in the consuming
transaction, signed so the official verifier accepts them, in order per lead, kept while an
endpoint is down or a subscription paused and delivered in order after, 410 disabling, an erased
person never sent, a window replayed with the same webhook-ids, two workers never sending one
delivery twice, and a loopback endpoint refused where the allow-list does not name it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from delivery_events import NOW, captured, consume, progressed, qualified
from standardwebhooks.webhooks import Webhook
from starlette.requests import Request
from starlette.responses import Response

from lead_schemas import (
    Envelope,
    LeadErased,
    LeadErasedData,
)
from leadkit.consumer import HandlerContext
from leadkit.db import Pool
from leadkit.erasure import record_erased
from leadkit.messaging import Outbox
from leadkit.testing import eventually
from sla_monitor.delivery import handlers
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.domain.sealing import Sealer, new_sealing_key
from sla_monitor.delivery.domain.targets import RefusedTarget, TargetRules
from sla_monitor.delivery.sender import SafeSender
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import NewSubscription, create_subscription
from sla_monitor.delivery.workers import DeliveryWorker
from tests.receiver import Receiver

KEY = new_sealing_key()


def sending(*, allowed: Sequence[str] = ("127.0.0.1/32",)) -> Sending:
    return Sending(SafeSender(TargetRules.of(allow_http=True, allowed=allowed)), Sealer(KEY))


async def subscribe(
    pool: Pool, send: Sending, url: str, *events: str, filters: dict[str, object] | None = None
) -> tuple[UUID, str]:
    new = NewSubscription("webhook", url, list(events), filters or {}, "test")
    async with pool.acquire() as conn:
        stored, secret = await create_subscription(conn, send, new, NOW)
    return stored.subscription.id, secret


def worker(pool: Pool, send: Sending, *only: UUID, clock: datetime = NOW) -> DeliveryWorker:
    return DeliveryWorker(pool, send, lambda: clock, only=list(only))


async def forget(pool: Pool, *subscription_ids: UUID) -> None:
    async with pool.acquire() as conn:
        for subscription_id in subscription_ids:
            await subscriptions.delete_subscription(conn, subscription_id)


async def statuses(pool: Pool, subscription_id: UUID) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        found = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=100)
    return [(d.event_type, d.status) for d in reversed(found)]


async def test_a_qualified_lead_reaches_the_endpoint_signed_and_whole(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, secret = await subscribe(pool, sender, receiver.url, "lead.qualified")
    lead_id = uuid4()
    event = qualified(lead_id)
    await consume(pool, [captured(lead_id, "Dana"), event])
    assert await worker(pool, sender, subscription_id).round() == 1
    (got,) = receiver.received
    assert got.headers["webhook-id"] == str(event.id)
    body = Webhook(secret).verify(got.body, got.headers)  # the official verifier
    assert body["type"] == "lead.qualified"
    assert body["data"]["person"]["first_name"] == "Dana"
    assert body["data"]["owner"]["id"] == "amara"
    assert body["data"]["latest_touch"]["campaign"] == "brand"
    assert await statuses(pool, subscription_id) == [("lead.qualified", "delivered")]
    await forget(pool, subscription_id)


async def test_filters_and_event_types_choose_what_is_queued(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    only_b, _ = await subscribe(pool, sender, receiver.url, "lead.qualified", filters={"grade": ["B"]})
    progress_only, _ = await subscribe(pool, sender, receiver.url, "lead.progressed")
    lead_id = uuid4()
    await consume(
        pool, [captured(lead_id, "Ann"), qualified(lead_id, grade="A"), progressed(lead_id, "accepted")]
    )
    assert await statuses(pool, only_b) == []
    assert await statuses(pool, progress_only) == [("lead.progressed", "pending")]
    await forget(pool, only_b, progress_only)


async def test_a_down_endpoint_gets_every_event_in_order_with_the_same_ids_once_back(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, secret = await subscribe(pool, sender, receiver.url, "lead.qualified", "lead.progressed")
    lead_id = uuid4()
    events: list[Envelope] = [
        qualified(lead_id),
        progressed(lead_id, "accepted", NOW + timedelta(seconds=1)),
        progressed(lead_id, "contacted", NOW + timedelta(seconds=2)),
    ]
    await consume(pool, [captured(lead_id, "Bo"), *events])
    await receiver.stop()
    assert await worker(pool, sender, subscription_id).round() == 1  # the first fails; the rest wait
    assert await statuses(pool, subscription_id) == [
        ("lead.qualified", "pending"),
        ("lead.progressed", "pending"),
        ("lead.progressed", "pending"),
    ]
    async with pool.acquire() as conn:
        (first, *_) = reversed(
            await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=9)
        )
    assert first.attempts == 1
    assert "connection failed" in (first.last_error or "")
    assert await worker(pool, sender, subscription_id).round() == 0  # not due before its backoff
    await receiver.start()
    later = NOW + timedelta(seconds=10)
    while await worker(pool, sender, subscription_id, clock=later).round():
        pass
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(e.id) for e in events]
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)
    await forget(pool, subscription_id)


async def test_a_failing_lead_holds_only_its_own_later_events(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.qualified", "lead.progressed")
    stuck, free = uuid4(), uuid4()
    receiver.refuse_containing = str(stuck).encode()  # every request about the stuck lead fails
    await consume(pool, [qualified(stuck), progressed(stuck, "accepted", NOW + timedelta(seconds=1))])
    await consume(pool, [qualified(free), progressed(free, "accepted", NOW + timedelta(seconds=1))])
    while await worker(pool, sender, subscription_id).round():
        pass
    sent = [(json.loads(r.body)["data"]["lead_id"], json.loads(r.body)["type"]) for r in receiver.received]
    # stuck's second event waits for its first; the other lead goes on, in its own order
    assert [kind for lead, kind in sent if lead == str(stuck)] == ["lead.qualified"]
    assert [kind for lead, kind in sent if lead == str(free)] == ["lead.qualified", "lead.progressed"]
    await forget(pool, subscription_id)


async def test_paused_events_are_kept_and_go_out_in_order_on_resume(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.progressed")
    async with pool.acquire() as conn:
        await subscriptions.set_paused(conn, subscription_id, True, NOW)
    lead_id = uuid4()
    stages = ["accepted", "contacted", "meeting"]
    await consume(pool, [progressed(lead_id, s, NOW + timedelta(seconds=i)) for i, s in enumerate(stages)])
    assert await worker(pool, sender, subscription_id).round() == 0
    async with pool.acquire() as conn:
        await subscriptions.set_paused(conn, subscription_id, False, NOW)
    while await worker(pool, sender, subscription_id).round():
        pass
    assert [json.loads(r.body)["data"]["stage"] for r in receiver.received] == stages
    await forget(pool, subscription_id)


async def test_410_disables_the_subscription_and_says_why(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.progressed")
    receiver.default = 410
    await consume(pool, [progressed(uuid4(), "accepted"), progressed(uuid4(), "accepted")])
    await worker(pool, sender, subscription_id).round()
    async with pool.acquire() as conn:
        stored = await subscriptions.subscription(conn, subscription_id)
    assert stored is not None
    assert stored.subscription.disabled_at is not None
    assert stored.subscription.disabled_reason == "the endpoint answered 410 Gone"
    assert [status for _, status in await statuses(pool, subscription_id)] == ["pending", "pending"]  # kept
    await forget(pool, subscription_id)


async def test_an_erased_person_is_never_sent(pool: Pool, receiver: Receiver, sender: Sending) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.qualified")
    lead_id = uuid4()
    await consume(pool, [captured(lead_id, "Erin"), qualified(lead_id)])
    erasure = LeadErased.new(
        producer="capture",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=NOW,
        data=LeadErasedData(requested_at=NOW),
    )
    async with pool.acquire() as conn, conn.transaction():
        ctx = HandlerContext(conn, Outbox(), NOW)
        await record_erased(conn, [lead_id], NOW)
        await handlers.forget_erased([erasure], ctx)
    await consume(pool, [qualified(lead_id)])  # a late event of the erased person: not queued
    assert await worker(pool, sender, subscription_id).round() == 0
    assert receiver.received == []
    async with pool.acquire() as conn:
        kept = await conn.fetchval(
            "SELECT count(*) FROM deliveries WHERE lead_id = $1 AND payload IS NOT NULL", lead_id
        )
        card = await conn.fetchval("SELECT count(*) FROM lead_cards WHERE lead_id = $1", lead_id)
    assert (kept, card) == (0, 0)
    assert await statuses(pool, subscription_id) == [("lead.qualified", "skipped")]
    await forget(pool, subscription_id)


async def test_a_replayed_window_sends_the_same_ids_again(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.progressed")
    event = progressed(uuid4(), "accepted")
    await consume(pool, [event])
    await worker(pool, sender, subscription_id).round()
    async with pool.acquire() as conn:
        queued = await deliveries.replay(
            conn, subscription_id, NOW - timedelta(hours=1), NOW + timedelta(hours=1), NOW
        )
    assert queued == 1
    await worker(pool, sender, subscription_id).round()
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(event.id)] * 2
    await forget(pool, subscription_id)


class Held(Receiver):
    """An endpoint that answers only once let go: a delivery stays in the worker's hand till then."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()
        self.let_go = asyncio.Event()

    async def _handle(self, request: Request) -> Response:
        answer = await super()._handle(request)
        self.arrived.set()
        await self.let_go.wait()
        return answer


@pytest.mark.parametrize("asked", ["replay", "resend"])
async def test_a_delivery_asked_for_again_while_in_flight_goes_again_after(
    pool: Pool, sender: Sending, asked: str
) -> None:
    held = Held()
    await held.start()
    subscription_id, _ = await subscribe(pool, sender, held.url, "lead.progressed")
    event = progressed(uuid4(), "accepted")
    await consume(pool, [event])
    in_flight = asyncio.create_task(worker(pool, sender, subscription_id).round())
    try:
        await asyncio.wait_for(held.arrived.wait(), timeout=10)
        asked_at = NOW  # the ask is told apart by its count, not its clock: the same instant will do
        async with pool.acquire() as conn:
            if asked == "replay":
                queued = await deliveries.replay(
                    conn, subscription_id, NOW - timedelta(hours=1), NOW + timedelta(hours=1), asked_at
                )
            else:
                (only,) = await deliveries.deliveries_of(
                    conn, subscription_id, status=None, before=None, limit=9
                )
                queued = int(await deliveries.resend(conn, subscription_id, only.id, asked_at))
        assert queued == 1
        held.let_go.set()
        # the answer to the attempt begun before the ask leaves it pending: it goes again
        sent = await in_flight + await worker(pool, sender, subscription_id, clock=asked_at).round()
        assert sent == 2
        assert [r.headers["webhook-id"] for r in held.received] == [str(event.id)] * 2
        assert await statuses(pool, subscription_id) == [("lead.progressed", "delivered")]
    finally:
        held.let_go.set()
        await held.stop()
        await forget(pool, subscription_id)


async def test_two_workers_never_send_one_delivery_twice(pool: Pool, receiver: Receiver) -> None:
    first, second = sending(), sending()
    subscription_id, _ = await subscribe(pool, first, receiver.url, "lead.progressed")
    await consume(pool, [progressed(uuid4(), "accepted") for _ in range(40)])

    async def drain(send: Sending) -> int:
        total = 0
        while done := await worker(pool, send, subscription_id).round():
            total += done
        return total

    counts = await asyncio.gather(drain(first), drain(second))
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sum(counts) == len(ids) == len(set(ids)) == 40
    await first.close()
    await second.close()
    await forget(pool, subscription_id)


async def test_loopback_is_refused_unless_the_allow_list_names_it(pool: Pool, receiver: Receiver) -> None:
    strict = sending(allowed=())
    with pytest.raises(RefusedTarget, match="loopback"):
        await subscribe(pool, strict, receiver.url, "lead.qualified")
    await strict.close()


class Hanging(Receiver):
    """An endpoint that takes its time: longer than the sender waits."""

    async def _handle(self, request: Request) -> Response:
        answer = await super()._handle(request)
        await asyncio.sleep(5)
        return answer


async def test_a_hanging_endpoint_holds_no_other_and_a_notify_wakes_the_worker(
    pool: Pool, receiver: Receiver
) -> None:
    hanging = Hanging()
    await hanging.start()
    send = Sending(
        SafeSender(TargetRules.of(allow_http=True, allowed=["127.0.0.1/32"]), total_seconds=3), Sealer(KEY)
    )
    slow, _ = await subscribe(pool, send, hanging.url, "lead.progressed")
    fast, _ = await subscribe(pool, send, receiver.url, "lead.progressed")
    # a long poll: only the NOTIFY of the transaction that queues deliveries can wake it in time
    worker = DeliveryWorker(pool, send, lambda: datetime.now(UTC), only=[slow, fast])
    running = asyncio.create_task(worker.run(poll_seconds=60))
    try:
        first, second = uuid4(), uuid4()
        await consume(pool, [progressed(first, "accepted")], datetime.now(UTC))

        async def fast_got(lead_id: UUID) -> None:
            assert any(json.loads(r.body)["data"]["lead_id"] == str(lead_id) for r in receiver.received)

        await eventually(lambda: fast_got(first), within=2.5)  # while the slow one still hangs
        await consume(pool, [progressed(second, "accepted")], datetime.now(UTC))
        await eventually(lambda: fast_got(second), within=2.5)
        async with pool.acquire() as conn:
            hung = await deliveries.deliveries_of(conn, slow, status=None, before=None, limit=9)
        assert [d.status for d in hung] == ["pending", "pending"]  # the slow one has delivered nothing
        assert all(d.attempts <= 1 for d in hung)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await send.close()
        await hanging.stop()
        await forget(pool, slow, fast)


async def test_delivered_and_skipped_go_after_the_retention_pending_ones_stay(
    pool: Pool, receiver: Receiver, sender: Sending
) -> None:
    subscription_id, _ = await subscribe(pool, sender, receiver.url, "lead.progressed")
    delivered, waiting = uuid4(), uuid4()
    await consume(pool, [progressed(delivered, "accepted"), progressed(waiting, "accepted")])
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE deliveries SET created_at = $2, status = CASE WHEN lead_id = $3 THEN 'delivered' "
            "ELSE 'pending' END WHERE subscription_id = $1",
            subscription_id,
            NOW - timedelta(days=40),
            delivered,
        )
        purged = await deliveries.purge(conn, NOW - timedelta(days=30))
        left = await conn.fetch("SELECT lead_id FROM deliveries WHERE subscription_id = $1", subscription_id)
    assert purged >= 1
    assert [row["lead_id"] for row in left] == [waiting]
    await forget(pool, subscription_id)
