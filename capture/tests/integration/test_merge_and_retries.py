"""capture's intake and person merge at their own layer, on the real database: two submissions of
one new person in one batch make one lead; a backfilled (older) touch becomes the first touch
and fills gaps only; a retry with the same idempotency key gets the first answer and a different
body under it is refused; spam is held for audit, answered like a success, and never emitted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from capture.api.models import LeadCreate
from capture.intake import IdempotencyClaim, Intake, accept_all
from leadkit.db import Pool
from leadkit.idempotency import KeyReused

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def intake(fields: dict[str, Any], **extra: Any) -> Intake:
    return Intake(LeadCreate.model_validate(fields).to_submission(via="api"), correlation_id=uuid4(), **extra)


def person(run: str, **fields: Any) -> dict[str, Any]:
    return {"email": f"mary.{run}@example.org", **fields}


async def outbox_of(pool: Pool, lead_id: UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE key = $1 AND topic = 'lead.captured' ORDER BY id", str(lead_id)
        )
    return [json.loads(row["payload"]) for row in rows]


async def test_one_new_person_twice_in_a_batch_is_one_lead_with_two_touches(pool: Pool) -> None:
    run = uuid4().hex[:8]
    answers = await accept_all(
        pool,
        [intake(person(run, first_name="Mary")), intake(person(run, company="Orbital"))],
        now=NOW,
        notify=False,
    )
    first, second = (UUID(answer.body["lead_id"]) for answer in answers)
    assert first == second
    events = await outbox_of(pool, first)
    assert [event["data"]["is_new"] for event in events] == [True, False]
    assert events[1]["data"]["person"]["first_name"] == "Mary"  # merged, not replaced
    assert events[1]["data"]["person"]["company"] == "Orbital"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM touches WHERE lead_id = $1", first) == 2


async def test_a_backfilled_touch_becomes_the_first_and_fills_gaps_only(pool: Pool) -> None:
    run = uuid4().hex[:8]
    (live,) = await accept_all(
        pool, [intake(person(run, first_name="Mary", utm_source="webinar"))], now=NOW, notify=False
    )
    lead_id = UUID(live.body["lead_id"])
    older = person(
        run,
        first_name="M.",
        job_title="Engineer",
        utm_source="trade-show",
        occurred_at=(NOW - timedelta(days=40)).isoformat(),
    )
    await accept_all(pool, [intake(older)], now=NOW + timedelta(minutes=5), notify=False)
    async with pool.acquire() as conn:
        lead = await conn.fetchrow(
            "SELECT l.first_name, l.job_title, t.source AS first_source FROM leads l "
            "JOIN touches t ON t.id = l.first_touch_id WHERE l.id = $1",
            lead_id,
        )
    assert tuple(lead) == ("Mary", "Engineer", "trade-show")
    latest = (await outbox_of(pool, lead_id))[-1]["data"]
    assert latest["first_touch"]["source"] == "trade-show"
    assert latest["touch"]["source"] == "trade-show"


async def test_a_retry_gets_the_first_answer_and_another_body_under_the_key_is_refused(pool: Pool) -> None:
    run = uuid4().hex[:8]

    def claim(fingerprint: str) -> IdempotencyClaim:
        return IdempotencyClaim(
            scope=f"test:{run}", key="retry-1", fingerprint=fingerprint, ttl=timedelta(hours=1)
        )

    (first,) = await accept_all(pool, [intake(person(run), idempotency=claim("a"))], now=NOW, notify=False)
    (again,) = await accept_all(pool, [intake(person(run), idempotency=claim("a"))], now=NOW, notify=False)
    assert (again.replayed, again.body) == (True, first.body)
    assert len(await outbox_of(pool, UUID(first.body["lead_id"]))) == 1  # one lead, one event
    with pytest.raises(KeyReused):
        await accept_all(pool, [intake(person(run), idempotency=claim("b"))], now=NOW, notify=False)


async def test_spam_is_held_answered_like_a_success_and_never_emitted(pool: Pool) -> None:
    run = uuid4().hex[:8]
    fields = person(run, first_name="Bot")
    (answer,) = await accept_all(
        pool, [intake(fields, spam="honeypot", ip="203.0.113.9", raw=fields)], now=NOW, notify=False
    )
    assert answer.status_code == 202
    lead_id = UUID(answer.body["lead_id"])
    async with pool.acquire() as conn:
        held = await conn.fetchrow(
            "SELECT reason, ip, payload::text AS payload FROM spam_submissions WHERE email = $1",
            fields["email"],
        )
        leads = await conn.fetchval("SELECT count(*) FROM leads WHERE id = $1", lead_id)
    assert (held["reason"], held["ip"], json.loads(held["payload"])) == ("honeypot", "203.0.113.9", fields)
    assert leads == 0
    assert await outbox_of(pool, lead_id) == []
