"""capture's use cases at their own layer, on the real database: a submission becomes a person, a
touch and two outbox rows (the event and its history twin); a known person merges by the rules
(an unauthenticated post fills gaps only); an erasure by phone finds every lead and spam row."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capture.api.models import LeadCreate
from capture.db.erasure import erasable_leads, erase_spam
from capture.erasure import erase_person
from capture.intake import Intake, accept_all
from leadkit.db import Pool
from leadkit.messaging import Outbox

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def intake(fields: dict[str, Any], *, via: str = "api", spam: str | None = None) -> Intake:
    submission = LeadCreate.model_validate(fields).to_submission(via=via)
    return Intake(submission, correlation_id=uuid4(), spam=spam, raw=fields)


async def captured(pool: Pool, *intakes: Intake, at: datetime = NOW) -> list[UUID]:
    answers = await accept_all(pool, list(intakes), now=at, notify=False)
    assert [answer.status_code for answer in answers] == [202] * len(intakes)
    return [UUID(answer.body["lead_id"]) for answer in answers]


def person(run: str) -> dict[str, Any]:
    return {"email": f"ada.{run}@analytical-{run}.example", "first_name": "Ada", "company": "Engines Ltd"}


async def test_a_new_person_is_a_lead_a_touch_and_an_event_with_its_history_twin(pool: Pool) -> None:
    run = uuid4().hex[:8]
    (lead_id,) = await captured(pool, intake({**person(run), "gclid": f"g-{run}", "utm_source": "google"}))
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT topic, payload FROM outbox WHERE key = $1 ORDER BY id", str(lead_id))
        touches = await conn.fetchval("SELECT count(*) FROM touches WHERE lead_id = $1", lead_id)
    assert [row["topic"] for row in rows] == ["lead.captured", "lead.captured.history"]
    event, twin = (json.loads(row["payload"]) for row in rows)
    assert event["data"]["person"]["email"] == person(run)["email"]
    assert twin["data"]["person"].get("email") is None
    assert twin["data"]["touch"]["gclid"] is None
    assert twin["data"]["touch"]["source"] == "google"
    assert twin["id"] != event["id"]
    assert touches == 1


async def test_a_public_form_post_fills_gaps_and_an_authenticated_one_corrects(pool: Pool) -> None:
    run = uuid4().hex[:8]
    (lead_id,) = await captured(pool, intake(person(run)))
    forged = {**person(run), "first_name": "Mallory", "company": "Evil", "job_title": "CEO"}
    assert await captured(pool, intake(forged, via="form"), at=NOW + timedelta(minutes=1)) == [lead_id]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT first_name, company, job_title FROM leads WHERE id = $1", lead_id)
        said = await conn.fetchval(
            "SELECT submitted::text FROM touches WHERE lead_id = $1 AND via = 'form'", lead_id
        )
    assert (row["first_name"], row["company"], row["job_title"]) == ("Ada", "Engines Ltd", "CEO")
    assert json.loads(said)["first_name"] == "Mallory"
    await captured(pool, intake({**person(run), "first_name": "Augusta"}), at=NOW + timedelta(minutes=2))
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT first_name FROM leads WHERE id = $1", lead_id) == "Augusta"


async def test_an_erasure_by_phone_finds_every_lead_and_spam_row_of_the_person(
    pool: Pool, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """By phone, whatever the email: the person captured by email and phone, again by phone alone,
    again under another email, and once held as spam."""
    run = uuid4().hex[:8]
    phone = f"+49151{uuid4().int % 10**8:08d}"
    leads = await captured(
        pool,
        intake({**person(run), "phone": phone}),
        intake({"phone": phone, "first_name": "A"}),
        intake({"email": f"other.{run}@x-{run}.example", "phone": phone}),
    )
    await accept_all(
        pool,
        [intake({"phone": phone, "email": f"bot.{run}@spam.example"}, spam="honeypot")],
        now=NOW,
        notify=False,
    )
    held = "SELECT count(*) FROM spam_submissions WHERE payload->>'phone' = $1"
    async with pool.acquire() as conn:
        assert await conn.fetchval(held, phone) == 1
    outbox = Outbox()
    async with sessions.begin() as session:
        found = await erasable_leads(session, lead_id=None, email=None, phone=phone)
        assert sorted(lead.id for lead in found) == sorted(leads)
        for lead in found:
            await erase_person(session, outbox, lead=lead, now=NOW, correlation_id=uuid4())
        await erase_spam(session, emails=[], phones=[phone], lead_ids=[])
    assert [row.topic for row in outbox.rows] == ["lead.erased"] * 3  # no personal data: no twin
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM leads WHERE phone = $1", phone) == 0
        assert await conn.fetchval(held, phone) == 0
        erased = await conn.fetch(
            "SELECT erased_at, identity_key FROM leads WHERE id = ANY($1::uuid[])", leads
        )
    assert all(row["erased_at"] == NOW and row["identity_key"].startswith("erased:") for row in erased)
