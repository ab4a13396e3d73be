"""The system when its parts come and go, under a steady stream of leads: PostgreSQL restarts
for ten seconds, a second instance of a service joins and leaves its group again and again.
Nothing accepted is lost, nothing healthy is dead-lettered, nothing is handled twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx

from leadkit.testing import TopicTail, eventually, in_background
from tests.system.fixtures import QUALIFYING, ROOT, SERVICES, TOPIC_PREFIX, System, metric_total

TOPICS = ("lead.captured", "lead.scored", "lead.qualified")


async def stream_leads(
    client: httpx.AsyncClient, system: System, *, seconds: float, per_second: float = 8
) -> tuple[list[str], list[int]]:
    """Post qualifying leads at a steady rate for `seconds`: the ids accepted, every status seen."""
    loop = asyncio.get_running_loop()
    accepted: list[str] = []
    statuses: list[int] = []
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        tick = loop.time()
        body = {"email": f"{uuid4().hex[:10]}@steady-stream.example", **QUALIFYING}
        try:
            response = await client.post(
                system.url("capture", "/v1/leads"), json=body, headers=system.headers
            )
        except httpx.TransportError:
            statuses.append(0)
        else:
            statuses.append(response.status_code)
            if response.status_code == 202:
                accepted.append(str(response.json()["lead_id"]))
        await asyncio.sleep(max(0.0, 1 / per_second - (loop.time() - tick)))  # the stream's pace
    return accepted, statuses


async def dead_lettered(client: httpx.AsyncClient, system: System) -> float:
    return sum(
        [
            await metric_total(client, system.url(service, ""), "leadloop_events_dead_lettered_total")
            for service in SERVICES
        ]
    )


async def tails(*topics: str) -> dict[str, TopicTail]:
    return {topic: await TopicTail(TOPIC_PREFIX + topic).start() for topic in topics}


@contextlib.asynccontextmanager
async def reading(found: dict[str, TopicTail]) -> AsyncIterator[None]:
    """Keep the tails reading while the leads stream: `make test`'s topics keep a privacy topic's
    records only 20 s, so a tail that first reads a minute into the test finds its oldest records
    deleted, and an aiokafka consumer whose position fell off the log starts again at its end."""

    async def read() -> None:
        while True:
            for tail in found.values():
                await tail.poll_new(timeout_ms=100)

    async with in_background(read()):
        yield


async def every_lead_came_through(
    found: dict[str, TopicTail], lead_ids: list[str], *, within: float = 120
) -> dict[str, dict[str, dict[str, Any]]]:
    """Wait until each lead has an event on each topic; then each topic's distinct events by lead
    (by event id: a redelivered copy of one event counts once)."""
    wanted = {lead_id.encode() for lead_id in lead_ids}
    seen: dict[str, dict[str, dict[str, Any]]] = {}
    for topic, tail in found.items():
        await tail.wait_for(lambda m: m.key in wanted, count=len(wanted), within=within)

        async def all_keys(tail: TopicTail = tail) -> None:
            await tail.poll()
            keys = {m.key for m in tail.messages if m.key in wanted}
            assert keys == wanted, f"{len(wanted - keys)} leads missing on {tail.topic}"

        await eventually(all_keys, within=within)
        by_lead: dict[str, dict[str, Any]] = {}
        for message in tail.messages:
            if message.key in wanted:
                event = json.loads(message.value)
                by_lead.setdefault(message.key.decode(), {})[event["id"]] = event
        seen[topic] = by_lead
    return seen


async def test_a_database_restart_under_load_loses_nothing_and_dead_letters_nothing(
    system: System, client: httpx.AsyncClient
) -> None:
    found = await tails(*TOPICS, *(f"{topic}.dlq" for topic in TOPICS))
    dead_before = await dead_lettered(client, system)
    outage = await asyncio.create_subprocess_exec(str(ROOT / "deploy/postgres.sh"), "outage", "10", cwd=ROOT)
    # the stream runs through the whole outage and a little after
    async with reading(found):
        accepted, statuses = await stream_leads(client, system, seconds=16)
        assert await outage.wait() == 0

    assert 503 in statuses, "capture answered 503 while the database was away"
    assert {status for status in statuses} <= {202, 503}, statuses  # never a 500
    seen = await every_lead_came_through({t: found[t] for t in TOPICS}, accepted)
    # every accepted lead went all the way, each event once: one capture, one score, one first
    # assignment (a later lead.qualified is a reassignment after the short test SLA ran out)
    assert all(len(events) == 1 for events in seen["lead.captured"].values())
    assert all(len(_scored_for_capture(events)) == 1 for events in seen["lead.scored"].values())
    for events in seen["lead.qualified"].values():
        assert [e["data"]["assignment"] for e in events.values()].count(1) == 1
    for topic in TOPICS:
        await found[f"{topic}.dlq"].poll()
        assert found[f"{topic}.dlq"].messages == [], f"{topic}.dlq"
    assert await dead_lettered(client, system) == dead_before
    for tail in found.values():
        await tail.stop()


def _scored_for_capture(events: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A lead's lead.scored caused by its capture; a recycle after the short test SLA scores again."""
    return [event for event in events.values() if event["data"].get("cause", "captured") == "captured"]


async def test_a_second_instance_joining_and_leaving_under_load_handles_every_event_once(
    system: System, client: httpx.AsyncClient
) -> None:
    scoring = system.url("scoring", "")
    restarts_before = await metric_total(
        client, scoring, "leadloop_background_restarts_total", loop="consumer"
    )
    rebalances_before = await metric_total(client, scoring, "leadloop_consumer_rebalances_total")
    found = await tails("lead.captured", "lead.scored")
    stream = asyncio.create_task(stream_leads(client, system, seconds=30))
    second_restarts = 0.0
    async with reading(found):
        for _ in range(3):  # scoring-2 joins the group, takes partitions, and leaves again
            second = await system.start_instance("scoring-2", service="scoring", port=18012)

            async def took_part(second: str = second) -> None:
                handled = await metric_total(client, second, "leadloop_events_consumed_total")
                assert handled > 0, "scoring-2 has not handled an event yet"

            await eventually(took_part, within=60)
            second_restarts += await metric_total(
                client, second, "leadloop_background_restarts_total", loop="consumer"
            )
            system.processes.stop("scoring-2")
        accepted, statuses = await stream
    assert set(statuses) == {202}

    seen = await every_lead_came_through(found, accepted)
    assert all(len(_scored_for_capture(events)) == 1 for events in seen["lead.scored"].values())
    assert second_restarts == 0
    assert (
        await metric_total(client, scoring, "leadloop_background_restarts_total", loop="consumer")
        == restarts_before
    )
    rebalances = await metric_total(client, scoring, "leadloop_consumer_rebalances_total")
    assert rebalances - rebalances_before >= 3  # it went through rebalances (joins and leaves may merge)
    for tail in found.values():
        await tail.stop()
