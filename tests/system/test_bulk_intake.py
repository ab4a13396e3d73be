"""Bulk intake: many leads or touches in one request, each answered on its own, through the same
validation, dedupe and spam rules as one at a time."""

from __future__ import annotations

from uuid import uuid4

import httpx

from tests.system.fixtures import System


async def test_a_batch_answers_each_lead_and_captures_the_good_ones_in_order(
    client: httpx.AsyncClient, system: System
) -> None:
    tag = uuid4().hex[:8]
    ada, grace = f"ada-{tag}@hopper-labs.example", f"grace-{tag}@hopper-labs.example"
    tail = await system.tail("lead.captured")
    leads = [
        {"email": ada, "first_name": "Ada", "utm_source": "import"},
        {"email": "not an email", "first_name": "Nobody"},
        {"email": grace.upper(), "phone": "+44 20 7946 0958"},
        {"email": ada, "job_title": "CTO", "utm_source": "webinar"},  # the same person again
        {"email": f"bot-{tag}@mailinator.com"},  # disposable: spam, answered like a success
    ]
    response = await client.post(
        system.url("capture", "/v1/leads/batch"), json={"leads": leads}, headers=system.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [202, 422, 202, 202, 202]
    assert (body["accepted"], body["rejected"]) == (4, 1)
    assert results[1]["errors"][0]["loc"][:3] == ["leads", 1, "email"]
    assert results[0]["lead_id"] == results[3]["lead_id"]  # deduplicated into one person

    first, again = await tail.events_for(results[0]["lead_id"], count=2)
    assert (first["data"]["is_new"], again["data"]["is_new"]) == (True, False)
    assert again["data"]["person"]["job_title"] == "CTO"  # merged: the newer value wins
    assert again["data"]["first_touch"]["source"] == "import"
    assert again["data"]["touch"]["source"] == "webinar"
    (grace_event,) = await tail.events_for(results[2]["lead_id"])
    assert grace_event["data"]["person"]["email"] == grace  # normalized as one at a time
    assert grace_event["data"]["person"]["phone"] == "+442079460958"
    await tail.poll()
    assert not [m for m in tail.messages if m.key == results[4]["lead_id"].encode()]  # spam: no event
    await tail.stop()

    lead = await client.get(
        system.url("capture", f"/v1/leads/{results[0]['lead_id']}"), headers=system.headers
    )
    assert [t["source"] for t in lead.json()["touches"]] == ["import", "webinar"]


async def test_a_batch_retried_with_its_key_is_answered_again_and_captured_once(
    client: httpx.AsyncClient, system: System
) -> None:
    leads = [{"email": f"retry-{uuid4().hex[:8]}@hopper-labs.example"} for _ in range(3)]
    headers = {**system.headers, "Idempotency-Key": uuid4().hex}
    url = system.url("capture", "/v1/leads/batch")
    first = await client.post(url, json={"leads": leads}, headers=headers)
    second = await client.post(url, json={"leads": leads}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    lead = await client.get(
        system.url("capture", f"/v1/leads/{first.json()['results'][0]['lead_id']}"), headers=system.headers
    )
    assert len(lead.json()["touches"]) == 1


async def test_a_batch_over_the_limit_or_empty_is_refused_whole(
    client: httpx.AsyncClient, system: System
) -> None:
    url = system.url("capture", "/v1/leads/batch")
    too_many = [{"email": f"n{i}@hopper-labs.example"} for i in range(501)]
    for leads in (too_many, []):
        response = await client.post(url, json={"leads": leads}, headers=system.headers)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "leads"]


async def test_a_touch_batch_lands_each_touch_on_its_lead_and_names_the_unknown(
    client: httpx.AsyncClient, system: System
) -> None:
    email = f"touchy-{uuid4().hex[:8]}@hopper-labs.example"
    created = await client.post(
        system.url("capture", "/v1/leads"), json={"email": email}, headers=system.headers
    )
    lead_id = created.json()["lead_id"]
    tail = await system.tail("lead.captured")
    touches = [
        {"email": email, "type": "webinar_attended", "utm_campaign": "masterclass"},
        {"lead_id": str(uuid4()), "type": "content_download"},
        {"lead_id": lead_id, "type": "page_visit"},
        {"email": email, "type": "no_such_type"},
    ]
    response = await client.post(
        system.url("capture", "/v1/touches/batch"), json={"touches": touches}, headers=system.headers
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [202, 404, 202, 422]
    assert results[0]["lead_id"] == results[2]["lead_id"] == lead_id
    events = await tail.events_for_any(
        lambda e: e["lead_id"] == lead_id and e["data"]["touch"]["via"] == "touch", count=2
    )
    assert [e["data"]["touch"]["type"] for e in events] == ["webinar_attended", "page_visit"]
    await tail.stop()
