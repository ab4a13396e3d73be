"""Ad platforms' leads at capture's own layer, on the real database: a notification is noted once
per platform lead id; the fetch worker gets the answers from the platform's API (here a stand-in
answering as Meta's Graph API documents a lead: `field_data` of `{name, values}`, `created_time`
as `%Y-%m-%dT%H:%M:%S%z`), captures the lead and marks the notification captured; a lead without
a way to reach the person fails for good; a platform error is retried later, the token never in
the stored error; LinkedIn's DELETED withdraws a notification not yet fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from capture.db.platform_leads import note_platform_lead, withdraw_linkedin_lead
from capture.settings import CaptureSettings
from capture.workers import process_due
from leadkit.db import Pool, session_factory
from leadkit.redact import Redactor
from leadkit.relay import OutboxRelay
from leadkit.service import Deps
from leadkit.testing import database_url_for_tests
from leadkit.topics import TopicNames

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TOKEN = "EAAG-page-token-that-must-never-be-stored"
GRAPH = "https://graph.example/v21.0"


def deps_for(pool: Pool, engine: AsyncEngine, *, at: datetime = NOW) -> Deps:
    settings = CaptureSettings(
        database_url=database_url_for_tests("capture"),
        meta_graph_url=GRAPH,
        meta_access_token=TOKEN,
        fetch_backoff_seconds=30,
        fetch_max_attempts=3,
    )
    relay = OutboxRelay(
        service="capture", pool=pool, topics=TopicNames("test."), bootstrap_servers="unused:1"
    )
    return Deps(
        service="capture",
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        pool=pool,
        relay=relay,  # never started: the rows stay in the outbox, where the test reads them
        consumers=[],
        clock=lambda: at,
        redact=Redactor([TOKEN]),
    )


def graph_api(leads: dict[str, Any], seen: list[httpx.Request]) -> httpx.AsyncClient:
    """Answers GET /{lead id} for the leads given (a callable answer may fail); 404 otherwise, as
    the Graph API does for an id it does not know."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        lead_id = request.url.path.rsplit("/", 1)[-1]
        found = leads.get(lead_id)
        if callable(found):
            return found(request)
        if found is None:
            return httpx.Response(404, json={"error": {"message": "Unsupported get request", "code": 100}})
        return httpx.Response(200, json=found)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def meta_lead(lead_id: str, *fields: tuple[str, str]) -> dict[str, Any]:
    return {
        "id": lead_id,
        "created_time": "2026-11-30T08:55:12+0000",
        "ad_id": "238500001",
        "ad_name": "Winter webinar",
        "campaign_name": "Q4 webinars",
        "form_id": "5550001",
        "platform": "fb",
        "is_organic": False,
        "field_data": [{"name": name, "values": [value]} for name, value in fields],
    }


async def noted(deps: Deps, platform: str, external_id: str) -> bool:
    async with deps.sessions.begin() as session:
        return await note_platform_lead(session, platform, external_id, {"leadgen_id": external_id}, NOW)


async def status_of(pool: Pool, external_id: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, last_error, lead_id, next_attempt_at FROM platform_leads "
            "WHERE external_id = $1",
            external_id,
        )
    assert row is not None
    return dict(row)


async def test_a_notification_is_noted_once_and_its_lead_fetched_and_captured(
    pool: Pool, engine: AsyncEngine
) -> None:
    deps = deps_for(pool, engine)
    lead_id = f"9{uuid4().int % 10**15}"
    assert await noted(deps, "meta", lead_id)
    assert not await noted(deps, "meta", lead_id)  # Meta redelivers: the id is known
    email = f"grace.{lead_id}@example.org"
    seen: list[httpx.Request] = []
    found = meta_lead(lead_id, ("email", email), ("full_name", "Grace Hopper"), ("job_title", "CTO"))
    async with graph_api({lead_id: found}, seen) as client:
        await process_due(deps, client, limit=50)
    row = await status_of(pool, lead_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("captured", 1, None)
    mine = [r for r in seen if r.url.path.endswith(lead_id)]
    assert mine[0].headers["Authorization"] == f"Bearer {TOKEN}"  # in a header, never in the URL
    assert TOKEN not in str(mine[0].url)
    async with pool.acquire() as conn:
        person = await conn.fetchrow(
            "SELECT first_name, last_name, job_title FROM leads WHERE id = $1", row["lead_id"]
        )
        touch = await conn.fetchrow(
            "SELECT via, source, medium, campaign, form_id, external_id, occurred_at FROM touches "
            "WHERE lead_id = $1",
            row["lead_id"],
        )
        topics = await conn.fetch("SELECT topic FROM outbox WHERE key = $1 ORDER BY id", str(row["lead_id"]))
    assert tuple(person) == ("Grace", "Hopper", "CTO")
    assert dict(touch) == {
        "via": "meta",
        "source": "facebook",
        "medium": "paid_social",
        "campaign": "Q4 webinars",
        "form_id": "meta:5550001",
        "external_id": lead_id,
        "occurred_at": datetime(2026, 11, 30, 8, 55, 12, tzinfo=UTC),
    }
    assert [t["topic"] for t in topics] == ["lead.captured", "lead.captured.history"]


async def test_a_lead_nobody_can_be_reached_by_fails_for_good(pool: Pool, engine: AsyncEngine) -> None:
    deps = deps_for(pool, engine)
    lead_id = f"8{uuid4().int % 10**15}"
    await noted(deps, "meta", lead_id)
    async with graph_api({lead_id: meta_lead(lead_id, ("full_name", "No Contact"))}, []) as client:
        await process_due(deps, client, limit=50)
    row = await status_of(pool, lead_id)
    assert (row["status"], row["attempts"], row["lead_id"]) == ("failed", 1, None)
    assert "no valid email or phone" in row["last_error"]


async def test_a_platform_error_is_retried_later_and_the_token_never_stored(
    pool: Pool, engine: AsyncEngine
) -> None:
    deps = deps_for(pool, engine)
    lead_id = f"7{uuid4().int % 10**15}"
    await noted(deps, "meta", lead_id)

    def unavailable(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=f"overloaded; you sent {request.headers['Authorization']}")

    async with graph_api({lead_id: unavailable}, []) as client:
        await process_due(deps, client, limit=50)
    row = await status_of(pool, lead_id)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_attempt_at"] == NOW + timedelta(seconds=30)  # the first backoff
    assert TOKEN not in row["last_error"]
    assert "503" in row["last_error"]
    # not due again before its time: a pass now leaves it alone
    async with graph_api({lead_id: unavailable}, []) as client:
        await process_due(deps, client, limit=50)
    assert (await status_of(pool, lead_id))["attempts"] == 1
    later = deps_for(pool, engine, at=NOW + timedelta(seconds=31))
    email = f"kath.{lead_id}@example.org"
    async with graph_api({lead_id: meta_lead(lead_id, ("email", email))}, []) as client:
        await process_due(later, client, limit=50)
    assert (await status_of(pool, lead_id))["status"] == "captured"


async def test_linkedin_deleting_a_lead_not_yet_fetched_withdraws_it(pool: Pool, engine: AsyncEngine) -> None:
    deps = deps_for(pool, engine)
    response_id = f"urn:li:leadFormResponse:{uuid4().hex}"
    await noted(deps, "linkedin", response_id)
    async with deps.sessions.begin() as session:
        assert await withdraw_linkedin_lead(session, response_id) is None  # nothing captured to erase
    row = await status_of(pool, response_id)
    assert row["status"] == "deleted"
    async with graph_api({}, []) as client:
        await process_due(deps, client, limit=50)
    assert (await status_of(pool, response_id))["status"] == "deleted"  # never fetched
