"""The whole pipeline over HTTP and Kafka, as a user and a sales tool see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import text

from leadkit.db import create_engine
from leadkit.testing import committed_offset, eventually
from tests.system.fixtures import QUALIFYING, System, database_url

REPORTING_TEST_DB = database_url("reporting")


def unique_source() -> str:
    return f"src-{uuid4().hex[:8]}"


async def post_lead(client: httpx.AsyncClient, system: System, **fields: Any) -> str:
    body = {"email": f"{uuid4().hex[:10]}@hopper-labs.example", **QUALIFYING, **fields}
    response = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["lead_id"])


async def qualified_leads(client: httpx.AsyncClient, system: System, source: str, *, count: int) -> list[str]:
    """Post `count` qualifying leads from `source` and wait until each is qualified and
    sla-monitor, which takes sales' progress, has consumed its lead.qualified."""
    tail = await system.tail("lead.qualified")
    lead_ids = [await post_lead(client, system, utm_source=source) for _ in range(count)]
    for lead_id in lead_ids:
        await tail.events_for(lead_id)

        async def owned_in_sla_monitor(lead_id: str = lead_id) -> None:
            sla = await client.get(
                system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=system.headers
            )
            assert sla.status_code == 200, sla.text
            assert sla.json()["owner"] is not None, "sla-monitor knows the capture, not the assignment yet"

        await eventually(owned_in_sla_monitor)
    await tail.stop()
    return lead_ids


async def funnel_row(client: httpx.AsyncClient, system: System, source: str) -> dict[str, Any]:
    response = await client.get(
        system.url("reporting", "/v1/reports/funnel"), params={"group_by": "source"}, headers=system.headers
    )
    assert response.status_code == 200, response.text
    rows = [row for row in response.json()["rows"] if row["key"] == source]
    assert rows, f"no funnel row for {source}"
    return dict(rows[0])


async def test_a_posted_lead_comes_out_qualified_with_its_causation_chain(
    system: System, client: httpx.AsyncClient
) -> None:
    tails = {topic: await system.tail(topic) for topic in ("lead.captured", "lead.scored", "lead.qualified")}
    source = unique_source()
    lead_id = await post_lead(client, system, utm_source=source)

    (captured,) = await tails["lead.captured"].events_for(lead_id)
    (scored,) = await tails["lead.scored"].events_for(lead_id)
    (qualified,) = await tails["lead.qualified"].events_for(lead_id)
    for tail in tails.values():
        await tail.stop()

    envelope = {
        "id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "lead_id",
        "correlation_id",
        "causation_id",
        "data",
    }
    for event, producer in ((captured, "capture"), (scored, "scoring"), (qualified, "routing")):
        assert set(event) == envelope
        assert (event["lead_id"], event["producer"], event["version"]) == (lead_id, producer, 1)
    assert captured["causation_id"] is None
    assert scored["causation_id"] == captured["id"]
    assert qualified["causation_id"] == scored["id"]
    assert captured["correlation_id"] == scored["correlation_id"] == qualified["correlation_id"]
    assert captured["data"]["touch"]["source"] == source
    assert scored["data"]["grade"] == "A"
    assert {r["rule_id"] for r in scored["data"]["reasons"]} >= {"senior-title", "hand-raiser"}
    assert qualified["data"]["owner"].startswith("rep-")
    assert "is marketing-qualified under scoring model" in qualified["data"]["reason"]

    # the reasons are answerable over the API, too
    why = await client.get(system.url("routing", f"/v1/leads/{lead_id}/assignments"), headers=system.headers)
    assert why.json()["assignments"][0]["event_id"] == qualified["id"]
    score = await client.get(system.url("scoring", f"/v1/leads/{lead_id}/score"), headers=system.headers)
    assert score.json()["history"][0]["event_id"] == scored["id"]

    async def counted() -> None:
        row = await funnel_row(client, system, source)
        assert (row["leads"], row["mqls"]) == (1, 1)

    await eventually(counted)


async def test_the_same_email_again_is_the_same_lead_with_a_new_touch(
    system: System, client: httpx.AsyncClient
) -> None:
    tail = await system.tail("lead.captured")
    email = f"{uuid4().hex[:10]}@example.org"
    first = await post_lead(client, system, email=email, utm_source="newsletter")
    second = await post_lead(client, system, email=email.upper(), utm_source="webinar", job_title="")
    assert first == second
    events = await tail.events_for(first, count=2)
    await tail.stop()
    assert [e["data"]["is_new"] for e in events] == [True, False]
    assert [e["data"]["touch"]["source"] for e in events] == ["newsletter", "webinar"]
    assert events[1]["data"]["person"]["job_title"] == "VP Engineering"  # an empty field erased nothing
    lead = await client.get(system.url("capture", f"/v1/leads/{first}"), headers=system.headers)
    assert [t["source"] for t in lead.json()["touches"]] == ["newsletter", "webinar"]


async def test_a_request_without_a_key_gets_401_and_a_bad_email_422(
    system: System, client: httpx.AsyncClient
) -> None:
    url = system.url("capture", "/v1/leads")
    assert (await client.post(url, json={"email": "a@example.com"})).status_code == 401
    wrong = await client.post(url, json={"email": "a@example.com"}, headers={"X-API-Key": "wrong"})
    assert wrong.status_code == 401
    bad = await client.post(url, json={"email": "not-an-email"}, headers=system.headers)
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "email"]]
    for service in ("scoring", "routing", "sla-monitor", "reporting"):
        assert (await client.get(system.url(service, "/readyz"))).status_code == 200


async def test_an_unaccepted_lead_is_reassigned_then_recycled_when_its_sla_runs_out(
    system: System, client: httpx.AsyncClient
) -> None:
    qualified_tail = await system.tail("lead.qualified")
    warned_tail = await system.tail("lead.sla_warned")
    breached_tail = await system.tail("lead.sla_breached")
    recycled_tail = await system.tail("lead.recycled")
    lead_id = await post_lead(client, system, utm_source=unique_source())

    first, second = await qualified_tail.events_for(lead_id, count=2, within=60)
    breaches = await breached_tail.events_for(lead_id, count=2, within=60)
    warnings = await warned_tail.events_for(lead_id, count=2, within=60)
    (recycled,) = await recycled_tail.events_for(lead_id, within=60)
    for tail in (qualified_tail, warned_tail, breached_tail, recycled_tail):
        await tail.stop()

    # each owner was warned at 80 % of the clock (3.2 s of 4), before its breach
    for warning, breach, owner in zip(warnings, breaches, (first, second), strict=True):
        assert warning["data"]["owner"] == owner["data"]["owner"]
        assert warning["data"]["share"] == 0.8
        assert warning["data"]["due_at"] == breach["data"]["due_at"]
        assert warning["occurred_at"] < breach["occurred_at"]

    assert breaches[0]["data"]["owner"] == first["data"]["owner"]
    assert breaches[0]["data"]["escalation"] == "reassign"
    assert breaches[0]["causation_id"] == first["id"]
    assert second["causation_id"] == breaches[0]["id"]
    assert second["data"]["assignment"] == 2
    assert second["data"]["previous_owner"] == first["data"]["owner"] != second["data"]["owner"]
    assert "reassigned" in second["data"]["reason"]
    # one reassignment allowed in this system, so the next breach sends it back to marketing
    assert breaches[1]["data"]["escalation"] == "recycle"
    assert (recycled["data"]["reason"], recycled["causation_id"]) == ("sla_exhausted", breaches[1]["id"])

    sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=system.headers)
    clocks = sla.json()["clocks"]
    assert [t["status"] for t in clocks] == ["breached", "breached"]
    assert [t["warned"] for t in clocks] == [True, True]
    assert [t["met_in_time"] for t in clocks] == [False, False]


async def test_an_sla_timer_that_falls_due_while_sla_monitor_is_down_fires_when_it_is_back(
    system: System, client: httpx.AsyncClient
) -> None:
    qualified_tail = await system.tail("lead.qualified")
    breached_tail = await system.tail("lead.sla_breached")
    lead_id = await post_lead(client, system, utm_source=unique_source())
    (qualified,) = await qualified_tail.events_for(lead_id)
    await qualified_tail.stop()
    sla_url = system.url("sla-monitor", f"/v1/leads/{lead_id}/sla")

    async def timer_pending() -> dict[str, Any]:
        response = await client.get(sla_url, headers=system.headers)
        assert response.status_code == 200, response.text
        clocks = response.json()["clocks"]
        assert len(clocks) == 1, "sla-monitor has not started the clock yet"
        (timer,) = clocks
        assert timer["status"] == "pending"
        return dict(timer)

    timer = await eventually(timer_pending)
    due = datetime.fromisoformat(timer["due_at"])
    down_since: list[datetime] = []

    async def fall_due() -> None:
        down_since.append(datetime.now(UTC))

        async def past_due() -> None:
            assert datetime.now(UTC) > due, "the timer is not due yet"

        await eventually(past_due, within=60)

    await system.restart("sla-monitor", while_down=fall_due)

    breach, *_ = await breached_tail.events_for(lead_id, within=60)
    await breached_tail.stop()
    assert breach["causation_id"] == qualified["id"]
    # it fired after the restart, from the timer stored before it, not from a redelivered event
    assert datetime.fromisoformat(breach["occurred_at"]) > down_since[0]
    assert datetime.fromisoformat(breach["data"]["due_at"]) == due


async def test_sales_progress_closes_the_loop_into_the_funnel(
    system: System, client: httpx.AsyncClient
) -> None:
    progressed_tail = await system.tail("lead.progressed")
    recycled_tail = await system.tail("lead.recycled")
    source = unique_source()
    won_id, rejected_id = await qualified_leads(client, system, source, count=2)

    async def progress(lead_id: str, body: dict[str, Any]) -> httpx.Response:
        return await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"), json=body, headers=system.headers
        )

    keyed = {**system.headers, "Idempotency-Key": f"accept-{won_id}"}
    url = system.url("sla-monitor", f"/v1/leads/{won_id}/progress")
    accepted = [await client.post(url, json={"stage": "accepted"}, headers=keyed) for _ in range(2)]
    assert [a.status_code for a in accepted] == [202, 202]
    assert accepted[0].json() == accepted[1].json()  # the retry got the first answer, and emitted nothing
    assert accepted[1].headers["idempotent-replayed"] == "true"
    reused = await client.post(url, json={"stage": "contacted"}, headers=keyed)
    assert reused.status_code == 422
    no_amount = await progress(won_id, {"stage": "won"})
    assert no_amount.status_code == 422
    assert "amount is required" in no_amount.text
    won = {"stage": "won", "amount": "12500.50", "currency": "EUR"}
    assert (await progress(won_id, won)).status_code == 202
    again = await progress(won_id, won)  # without an Idempotency-Key, a retry is a second step: after won
    assert again.status_code == 409
    assert again.json() == {
        "detail": "cannot go from won to won; allowed next: nothing: the lead is closed",
        "current": "won",
        "allowed": [],
    }
    free_text = await progress(rejected_id, {"stage": "rejected", "reason": "student, no budget"})
    assert free_text.status_code == 422
    assert "unknown reason code 'student, no budget' for rejected" in free_text.text
    assert "no_budget" in free_text.text  # the allowed codes are listed
    skipping = await progress(rejected_id, {"stage": "opportunity"})
    assert skipping.status_code == 409
    assert skipping.json()["allowed"] == ["accepted", "rejected"]
    rejected = await progress(
        rejected_id, {"stage": "rejected", "reason": "no_budget", "detail": "a student"}
    )
    assert rejected.json()["recycled"] is True
    unforced = await progress(rejected_id, {"stage": "accepted", "force": True})
    assert unforced.status_code == 422  # forcing needs a reason in words
    assert (await progress(str(uuid4()), {"stage": "accepted"})).status_code == 404
    assert (await progress(won_id, {"stage": "teleported"})).status_code == 422
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await progress(won_id, {"stage": "contacted", "occurred_at": future})).status_code == 422

    stages = [e["data"]["stage"] for e in await progressed_tail.events_for(won_id, count=2)]
    assert stages == ["accepted", "won"]
    (rejection,) = await progressed_tail.events_for(rejected_id)
    # the reason code travels; sales' words stay in sla-monitor's database (no free text on topics)
    assert (rejection["data"]["reason"], rejection["data"]["detail"]) == ("no_budget", None)
    last_won = [m for m in progressed_tail.messages if m.key == won_id.encode()][-1]

    async def reporting_handled_the_win() -> None:
        committed = await committed_offset("test.reporting", last_won.topic, last_won.partition)
        assert committed > last_won.offset

    await eventually(reporting_handled_the_win)
    (recycled,) = await recycled_tail.events_for(rejected_id)
    assert recycled["data"]["reason"] == "rejected_by_sales"
    await progressed_tail.stop()
    await recycled_tail.stop()

    async def closed_loop() -> None:
        row = await funnel_row(client, system, source)
        assert (row["leads"], row["mqls"], row["sals"], row["sqls"], row["opportunities"], row["won"]) == (
            2,
            2,
            1,
            1,
            1,
            1,
        )
        assert Decimal(row["revenue"]) == Decimal("12500.50")
        assert row["recycled"] == 1

    await eventually(closed_loop)
    sla = await client.get(system.url("sla-monitor", f"/v1/leads/{won_id}/sla"), headers=system.headers)
    # accepting stopped the owner's clock (on a slow machine a breach may have come first, and
    # then the new owner's clock is the one accepting stops)
    assert "met" in [clock["status"] for clock in sla.json()["clocks"]]


async def test_reporting_rebuilds_its_funnel_from_the_topics_alone(
    system: System, client: httpx.AsyncClient
) -> None:
    source = unique_source()
    won_id, rejected_id = await qualified_leads(client, system, source, count=2)
    for lead_id, body in (
        (won_id, {"stage": "accepted"}),
        (won_id, {"stage": "won", "amount": "900.00"}),
        (rejected_id, {"stage": "rejected", "reason": "not_a_lead", "detail": "a student"}),
    ):
        response = await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"), json=body, headers=system.headers
        )
        assert response.status_code == 202, response.text

    async def projected() -> dict[str, Any]:
        row = await funnel_row(client, system, source)
        assert (row["leads"], row["won"], row["recycled"]) == (2, 1, 1)
        return row

    before = await eventually(projected)
    # what no topic holds survives a rebuild: a console key, a month's targets
    made = system.leadloop_cli("console-keys", "create", "--name", "rebuild-viewer")
    assert made.returncode == 0, made.stderr
    viewer = {"X-API-Key": made.stdout.strip()}
    target = await client.put(
        system.url("reporting", "/v1/targets/2031-05"), json={"mqls": 5}, headers=system.headers
    )
    assert target.status_code == 200, target.text

    refused = system.run_module("reporting.rebuild")
    assert refused.returncode == 1
    assert "stop the service first" in refused.stderr

    async def rebuild_while_down() -> None:
        rebuilt = system.run_module("reporting.rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "reporting rebuilt from" in rebuilt.stdout
        # the rows are back before reporting runs again: the rebuild folded the topics itself
        engine = create_engine(REPORTING_TEST_DB, pool_size=1)
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(
                    text("SELECT count(*) FROM lead_funnel WHERE source = :source"), {"source": source}
                )
                assert found == 2
        finally:
            await engine.dispose()

    await system.restart("reporting", while_down=rebuild_while_down)

    async def replayed() -> None:
        assert await funnel_row(client, system, source) == before

    await eventually(replayed, within=60)
    # the rebuild emptied the aggregates; reporting counted them again before it consumed
    engine = create_engine(REPORTING_TEST_DB, pool_size=1)
    try:
        async with engine.connect() as conn:
            counted = await conn.scalar(
                text(
                    "SELECT sum(leads) FROM funnel_cells WHERE grain = 'month' AND dimension = 'source'"
                    " AND key = :source"
                ),
                {"source": source},
            )
            assert counted == 2
    finally:
        await engine.dispose()
    assert (await client.get(system.url("reporting", "/v1/session"), headers=viewer)).status_code == 200
    kept = await client.get(
        system.url("reporting", "/v1/targets"),
        params={"from": "2031-05", "through": "2031-05"},
        headers=viewer,
    )
    assert [(t["month"], t["mqls"]) for t in kept.json()] == [("2031-05", 5)]
