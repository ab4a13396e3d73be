"""Each service's operations API against the running system: readiness as /readyz says it, lag
per consumer group and topic, the dead letters waiting in its topics' DLQs — and a replay (admin)
that hands them back to the topic, where the one service that failed runs them again."""

from __future__ import annotations

from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from playwright.async_api import Page, expect

from tests.system.browser import CONSOLE, SCREENSHOTS, console_key, sign_in
from tests.system.fixtures import API_KEY, SERVICES, TOPIC_PREFIX, System

KAFKA = "127.0.0.1:9092"


async def test_every_service_answers_its_readiness_lag_outbox_and_quarantine(
    system: System, client: httpx.AsyncClient
) -> None:
    viewer = {"X-API-Key": console_key(system, "viewer")}
    for service in SERVICES:
        answer = await client.get(system.url(service, "/v1/operations"), headers=viewer)
        assert answer.status_code == 200, (service, answer.text)
        found = answer.json()
        ready = await client.get(system.url(service, "/readyz"))
        assert (found["service"], found["ready"]) == (service, True)
        assert set(found["checks"]) == set(ready.json()["checks"])
        assert found["kafka_error"] is None
        assert all(lag["lag"] >= 0 and lag["partitions"] >= 1 for lag in found["consumers"])
        assert {lag["topic"] for lag in found["consumers"]} == {d["topic"] for d in found["dead_letters"]}
        assert found["outbox"]["pending"] >= 0
    scoring = (await client.get(system.url("scoring", "/v1/operations"), headers=viewer)).json()
    assert "lead.captured" in {lag["topic"] for lag in scoring["consumers"]}


async def test_a_dead_letter_is_counted_and_replayed_by_an_admin(
    system: System, client: httpx.AsyncClient
) -> None:
    """rep.changed has one consumer, sla-monitor: a message that is no event is dead-lettered there
    at once (no retry can make it one), and again each time it is replayed. What earlier tests left
    in the DLQ may come and go (test DLQs keep letters 20 s), so this follows its own letter."""
    url = system.url("sla-monitor", "/v1/operations")
    replay = system.url("sla-monitor", "/v1/operations/dead-letters/rep.changed/replay")
    poison = f"poison-{uuid4().hex[:8]}".encode()

    async def waiting() -> int:
        answer = await client.get(url, headers=system.headers)
        return int(next(d["waiting"] for d in answer.json()["dead_letters"] if d["topic"] == "rep.changed"))

    dlq = await system.tail("rep.changed.dlq")
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA)
    await producer.start()
    try:
        await producer.send_and_wait(f"{TOPIC_PREFIX}rep.changed", b"not an event", key=poison)
    finally:
        await producer.stop()
    try:
        (letter,) = await dlq.wait_for(lambda m: m.key == poison, within=60)
        assert dict(letter.headers)["dlq.consumer_group"] == f"{TOPIC_PREFIX}sla-monitor".encode()
        assert await waiting() >= 1

        operator = {"X-API-Key": console_key(system, "operator")}
        assert (await client.post(replay, headers=operator)).status_code == 403
        unknown = system.url("sla-monitor", "/v1/operations/dead-letters/lead.scored.nope/replay")
        assert (await client.post(unknown, headers=system.headers)).status_code == 404
        replayed = await client.post(replay, headers=system.headers)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["topic"] == "rep.changed"
        assert replayed.json()["replayed"] >= 1
        # it reached sla-monitor again, failed again, and came back: the replay ran it
        await dlq.wait_for(lambda m: m.key == poison, count=2, within=60)
    finally:
        await dlq.stop()


async def test_the_operations_screen_shows_each_service_s_own_answer(
    system: System, client: httpx.AsyncClient, page: Page
) -> None:
    await page.goto(f"{CONSOLE}#/operations")
    await sign_in(page, API_KEY)
    await expect(page.get_by_text("Every service answered.")).to_be_visible()
    for service in SERVICES:
        card = page.get_by_role("region", name=service, exact=True)
        await expect(card).to_contain_text("Ready: database ok, kafka ok, consumers ok")
    answer = (await client.get(system.url("scoring", "/v1/operations"), headers=system.headers)).json()
    lag = page.get_by_role("table", name="Consumer lag at scoring")
    topics = [row.split("\t")[1] for row in await lag.locator("tbody tr").all_inner_texts()]
    assert topics == [c["topic"] for c in answer["consumers"]]
    if SCREENSHOTS:
        await page.screenshot(path=SCREENSHOTS / "operations.png", full_page=True)
