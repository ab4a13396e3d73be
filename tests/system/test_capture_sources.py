"""Every capture path end to end: a real capture process, real PostgreSQL and Kafka; the ad
platforms' lead APIs answered by the local stand-in (tests/system/platform_standin.py)."""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import text

from leadkit.db import create_engine
from leadkit.testing import TopicTail, eventually
from tests.system.fixtures import (
    GOOGLE_KEY,
    LINKEDIN_CLIENT_SECRET,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    STANDIN_URL,
    System,
    database_url,
    hmac_hex,
    key_prefix,
)

CAPTURE = "http://127.0.0.1:18001"


def create_form(form_id: str, *options: str) -> str:
    """`leadloop forms create` against the test system; returns the form's action URL."""
    created = System.leadloop_cli("forms", "create", form_id, *options)
    assert created.returncode == 0, created.stderr
    return next(line for line in created.stdout.split() if line.startswith("http") and "key=" in line)


def email() -> str:
    return f"{uuid4().hex[:12]}@analytical.example"


async def touches_of(client: httpx.AsyncClient, system: System, lead_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{CAPTURE}/v1/leads/{lead_id}", headers=system.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["touches"])


async def lead_of_receipt(receipt: str) -> str | None:
    """The lead a public form's receipt (the post's correlation id) became, read where capture
    keeps it: the poster is never told."""
    engine = create_engine(database_url("capture"), pool_size=1)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                text("SELECT lead_id::text FROM touches WHERE correlation_id = :receipt"),
                {"receipt": receipt},
            )
    finally:
        await engine.dispose()
    return str(found) if found else None


async def only_events_for(
    tail: TopicTail, client: httpx.AsyncClient, system: System, lead_email: str, lead_id: str, expected: int
) -> list[dict[str, Any]]:
    """Exactly `expected` lead.captured events for the lead: a marker touch is posted last and,
    one lead's events being ordered on its partition, every earlier event has arrived with it."""
    marker = await client.post(
        f"{CAPTURE}/v1/touches", headers=system.headers, json={"email": lead_email, "type": "page_visit"}
    )
    assert marker.status_code == 202, marker.text
    events = await tail.events_for(lead_id, count=expected + 1)
    assert events[-1]["data"]["touch"]["type"] == "page_visit"
    return events[:-1]


async def test_retries_with_one_idempotency_key_make_one_lead_and_one_event(
    system: System, client: httpx.AsyncClient
) -> None:
    tail = await system.tail("lead.captured")
    address = email()
    body = {"email": address, "first_name": "Ada"}
    headers = {**system.headers, "Idempotency-Key": f"k-{uuid4()}"}
    first = await client.post(f"{CAPTURE}/v1/leads", json=body, headers=headers)
    racing = await asyncio.gather(
        *[client.post(f"{CAPTURE}/v1/leads", json=body, headers=headers) for _ in range(8)]
    )
    assert {r.status_code for r in [first, *racing]} == {202}
    assert {r.json()["lead_id"] for r in [first, *racing]} == {first.json()["lead_id"]}
    assert all(r.headers.get("idempotent-replayed") == "true" for r in racing)
    lead_id = first.json()["lead_id"]
    assert len(await touches_of(client, system, lead_id)) == 1
    assert len(await only_events_for(tail, client, system, address, lead_id, expected=1)) == 1
    reused = await client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers=headers)
    assert reused.status_code == 422
    assert reused.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    await tail.stop()


async def test_identical_submissions_racing_each_other_are_one_person(
    system: System, client: httpx.AsyncClient
) -> None:
    address = email()
    answers = await asyncio.gather(
        *[
            client.post(f"{CAPTURE}/v1/leads", json={"email": address}, headers=system.headers)
            for _ in range(8)
        ]
    )
    assert {a.status_code for a in answers} == {202}
    lead_ids = {a.json()["lead_id"] for a in answers}
    assert len(lead_ids) == 1
    assert len(await touches_of(client, system, lead_ids.pop())) == 8  # eight submissions, eight touches


async def test_a_source_key_names_the_source_and_stops_working_when_revoked(
    system: System, client: httpx.AsyncClient
) -> None:
    created = system.leadloop_cli("keys", "create", "--name", "Partner portal", "--source", "partner-portal")
    assert created.returncode == 0, created.stderr
    key = created.stdout.split()[0]
    answer = await client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers={"X-API-Key": key})
    assert answer.status_code == 202, answer.text
    (touch,) = await touches_of(client, system, answer.json()["lead_id"])
    assert (touch["source"], touch["via"]) == ("partner-portal", "api")
    assert system.leadloop_cli("keys", "revoke", key_prefix(key)).returncode == 0
    refused = await client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers={"X-API-Key": key})
    assert refused.status_code == 401


async def test_a_key_over_its_rate_gets_429_with_retry_after(
    system: System, client: httpx.AsyncClient
) -> None:
    key = system.leadloop_cli("keys", "create", "--name", "Flood", "--source", "flood").stdout.split()[0]
    answers = await asyncio.gather(
        *[
            client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers={"X-API-Key": key})
            for _ in range(150)
        ]
    )
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "150 requests at once exceed a burst of 40 refilled at 20/s"
    assert {a.status_code for a in answers} <= {202, 429}
    assert int(limited[0].headers["retry-after"]) >= 1


async def test_a_body_over_the_limit_gets_413(system: System, client: httpx.AsyncClient) -> None:
    answer = await client.post(
        f"{CAPTURE}/v1/leads", headers=system.headers, json={"email": email(), "notes": "x" * 70_000}
    )
    assert answer.status_code == 413
    assert answer.json()["detail"][0]["loc"] == ["body"]


async def test_spam_is_answered_like_success_never_becomes_a_lead_and_can_be_released(
    system: System, client: httpx.AsyncClient
) -> None:
    address = f"{uuid4().hex[:10]}@mailinator.com"
    tail = await system.tail("lead.captured")
    answer = await client.post(
        f"{CAPTURE}/v1/leads",
        json={"email": address, "first_name": "Real", "utm_source": "newsletter"},
        headers=system.headers,
    )
    assert answer.status_code == 202
    assert (
        await client.get(f"{CAPTURE}/v1/leads/{answer.json()['lead_id']}", headers=system.headers)
    ).status_code == 404

    listed = system.leadloop_cli("spam", "list", "--reason", "disposable_email", "--json")
    assert listed.returncode == 0, listed.stderr
    (held,) = [h for h in map(json.loads, listed.stdout.splitlines()) if h["email"] == address]
    assert (held["via"], held["released_lead_id"]) == ("api", None)

    # an operator judges it a false positive: it becomes the lead it was, once
    released = system.leadloop_cli("spam", "release", str(held["id"]))
    assert released.returncode == 0, released.stderr
    assert "released as lead" in released.stdout
    (event,) = await tail.events_for_any(lambda e: e["data"]["person"].get("email") == address)
    assert (event["data"]["person"]["first_name"], event["data"]["touch"]["source"]) == ("Real", "newsletter")
    assert (
        await client.get(f"{CAPTURE}/v1/leads/{event['lead_id']}", headers=system.headers)
    ).status_code == 200
    again = system.leadloop_cli("spam", "release", str(held["id"]))
    assert again.returncode == 0
    assert f"already released as lead {event['lead_id']}" in again.stdout
    await only_events_for(tail, client, system, address, event["lead_id"], expected=1)
    await tail.stop()
    assert system.leadloop_cli("spam", "release", "999999999").returncode == 1


async def test_a_public_form_post_never_rewrites_a_known_person(
    system: System, client: httpx.AsyncClient
) -> None:
    """Anyone can post a public form with someone's email: the post becomes a touch of that
    person, fills no field the person already has, and keeps what it said on the touch, for review."""
    action = create_form(f"pub-{uuid4().hex[:6]}", "--name", "Public", "--origin", "https://www.example.com")
    known = email()
    posted = await client.post(
        f"{CAPTURE}/v1/leads",
        json={"email": known, "first_name": "Ada", "company": "Analytical Engines"},
        headers=system.headers,
    )
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    forged = await client.post(
        action,
        data={"email": known, "first_name": "Mallory", "company": "Evil Corp", "job_title": "CEO"},
        headers={"Origin": "https://www.example.com", "Accept": "application/json"},
    )
    assert forged.status_code == 202, forged.text
    assert set(forged.json()) == {"receipt"}
    assert await lead_of_receipt(forged.json()["receipt"]) == lead_id
    lead = (await client.get(f"{CAPTURE}/v1/leads/{lead_id}", headers=system.headers)).json()
    assert (lead["first_name"], lead["company"]) == ("Ada", "Analytical Engines")  # never overwritten
    assert lead["job_title"] == "CEO"  # a gap is filled
    (submitted,) = [t["submitted"] for t in lead["touches"] if t["submitted"]]
    assert (submitted["first_name"], submitted["company"]) == ("Mallory", "Evil Corp")
    # an authenticated source may still correct the person
    fixed = await client.post(
        f"{CAPTURE}/v1/leads", json={"email": known, "first_name": "Augusta"}, headers=system.headers
    )
    assert fixed.status_code == 202
    assert (await client.get(f"{CAPTURE}/v1/leads/{lead_id}", headers=system.headers)).json()[
        "first_name"
    ] == ("Augusta")


async def test_a_browser_form_post(system: System, client: httpx.AsyncClient) -> None:
    form_id = f"demo-{uuid4().hex[:6]}"
    action = create_form(
        form_id,
        "--name",
        "Demo",
        "--origin",
        "https://www.example.com",
        "--thank-you-url",
        "https://www.example.com/thanks",
        "--source",
        "website",
    )
    origin = {"Origin": "https://www.example.com"}
    page = "https://www.example.com/demo?utm_medium=organic&utm_campaign=q4"

    posted = await client.post(
        action,
        data={"email": email(), "first_name": "Ada", "consent": "on"},
        headers={**origin, "Referer": page},
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == "https://www.example.com/thanks"

    as_json = await client.post(
        action,
        files={
            "email": (None, email()),
            "company_size": (None, "250"),
            "consent": (None, "on"),
            "consent_text": (None, "Send me product news"),
        },
        headers={**origin, "Accept": "application/json", "Referer": page},
    )
    assert as_json.status_code == 202, as_json.text
    assert as_json.headers["access-control-allow-origin"] == "https://www.example.com"
    assert set(as_json.json()) == {"receipt"}  # no lead id: nobody learns whether an email is a lead
    lead_id = await lead_of_receipt(as_json.json()["receipt"])
    assert lead_id is not None
    (touch,) = await touches_of(client, system, lead_id)
    assert touch["consent_marketing"] is True
    assert (touch["via"], touch["source"], touch["medium"], touch["campaign"], touch["form_id"]) == (
        "form",
        "website",
        "organic",
        "q4",
        form_id,
    )

    preflight = await client.options(action, headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    other = await client.post(action, data={"email": email()}, headers={"Origin": "https://evil.example"})
    assert other.status_code == 403
    wrong_key = await client.post(action.split("?")[0] + "?key=nope", data={"email": email()}, headers=origin)
    assert wrong_key.status_code == 404
    as_json_body = await client.post(action, json={"email": email()}, headers=origin)
    assert as_json_body.status_code == 415
    bad = await client.post(action, data={"email": "nope"}, headers={**origin, "Accept": "application/json"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "email"]
    from_browser = await client.post(
        action,
        data={"email": "<b>nope</b>", "phone": "12"},
        headers={**origin, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Referer": page},
    )
    assert from_browser.status_code == 422
    assert from_browser.headers["content-type"].startswith("text/html")
    assert "<strong>email</strong>" in from_browser.text
    assert "<strong>phone</strong>" in from_browser.text
    assert "<b>nope</b>" not in from_browser.text  # nothing posted is echoed as markup
    assert f'href="{html.escape(page, quote=True)}"' in from_browser.text
    bot = await client.post(
        action,
        data={"email": email(), "leadloop_hp": "http://spam.example"},
        headers={**origin, "Accept": "application/json"},
    )
    assert bot.status_code == 202
    assert set(bot.json()) == {"receipt"}  # answered like success
    assert await lead_of_receipt(bot.json()["receipt"]) is None  # held as spam, never a lead


async def test_a_hubspot_forms_api_submission(system: System, client: httpx.AsyncClient) -> None:
    form_id = f"hs-{uuid4().hex[:6]}"
    action = create_form(
        form_id,
        "--name",
        "Webinar",
        "--origin",
        "https://www.example.com",
        "--source",
        "website",
    )
    form_key = action.split("key=")[1]
    submit = f"{CAPTURE}/v1/hubspot/submissions/v3/integration/submit/123456/{form_key}"
    origin = {"Origin": "https://www.example.com"}
    address = email()
    body = {  # the Forms API v3 documentation's example, with a custom question and consent
        "submittedAt": "1763800000000",
        "fields": [
            {"objectTypeId": "0-1", "name": "email", "value": address.upper()},
            {"objectTypeId": "0-1", "name": "firstname", "value": "Jeff"},
            {"objectTypeId": "0-1", "name": "mobilephone", "value": "(617) 555-0100"},
            {"objectTypeId": "0-1", "name": "country", "value": "United States"},
            {"objectTypeId": "0-1", "name": "numemployees", "value": "250"},
            {"objectTypeId": "0-1", "name": "how_did_you_hear_about_us", "value": "Podcast"},
        ],
        "context": {
            "hutk": "ee6b6c7ffd3a3c4bb5ed8ba4e8ce7e5a",
            "pageUri": "https://www.example.com/webinar?utm_source=newsletter&utm_medium=email&utm_campaign=spring",
            "pageName": "Spring webinar",
        },
        "legalConsentOptions": {
            "consent": {
                "consentToProcess": True,
                "text": "I agree to allow Example Company to store and process my personal data.",
                "communications": [{"value": True, "subscriptionTypeId": 999, "text": "Send me news."}],
            }
        },
    }
    tail = await system.tail("lead.captured")

    preflight = await client.options(submit, headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    posted = await client.post(submit, json=body, headers=origin)
    assert posted.status_code == 200, posted.text
    assert posted.json() == {"inlineMessage": "Thanks for submitting the form."}
    assert posted.headers["access-control-allow-origin"] == "https://www.example.com"
    (event,) = await tail.events_for_any(lambda e: e["data"]["person"].get("email") == address)
    person, touch = event["data"]["person"], event["data"]["touch"]
    assert (person["first_name"], person["phone"], person["country"], person["company_size"]) == (
        "Jeff",
        "+16175550100",
        "US",
        "201-500",
    )
    assert person["attributes"]["how_did_you_hear_about_us"] == "Podcast"
    assert person["attributes"]["hubspot_portal_id"] == "123456"
    assert (touch["via"], touch["source"], touch["medium"], touch["campaign"], touch["form_id"]) == (
        "form",
        "newsletter",
        "email",
        "spring",
        form_id,
    )
    assert touch["occurred_at"].startswith("2025-11-22T")
    assert touch["consent"]["marketing"] is True

    again = await client.post(submit, json=body, headers=origin)
    assert again.status_code == 200
    events = await only_events_for(tail, client, system, address, event["lead_id"], expected=2)
    assert [e["data"]["is_new"] for e in events] == [True, False]  # one person, a second touch
    await tail.stop()

    bad = {**body, "fields": [{"name": "email", "value": "not-an-address"}]}
    refused = await client.post(submit, json=bad, headers=origin)
    assert refused.status_code == 400
    assert refused.json()["status"] == "error"
    (error,) = refused.json()["errors"]
    assert error["errorType"] == "INVALID_EMAIL"
    assert "'fields.email'" in error["message"]
    no_fields = await client.post(submit, json={"context": {}}, headers=origin)
    assert no_fields.status_code == 400
    assert "'fields'" in no_fields.json()["errors"][0]["message"]
    from_the_future = await client.post(submit, json={**body, "submittedAt": "4102444800000"}, headers=origin)
    assert from_the_future.status_code == 400
    assert "'submittedAt'" in from_the_future.json()["errors"][0]["message"]
    assert (
        await client.post(
            submit, content=b"{not json", headers={**origin, "Content-Type": "application/json"}
        )
    ).status_code == 400
    assert (await client.post(submit, data={"email": address}, headers=origin)).status_code == 415
    assert (
        await client.post(submit, json=body, headers={"Origin": "https://evil.example"})
    ).status_code == 403
    unknown = submit.rsplit("/", 1)[0] + "/not-a-form-key"
    assert (await client.post(unknown, json=body, headers=origin)).status_code == 404


async def test_a_touch_from_a_known_lead(system: System, client: httpx.AsyncClient) -> None:
    tail = await system.tail("lead.captured")
    address = email()
    lead = await client.post(
        f"{CAPTURE}/v1/leads", json={"email": address, "job_title": "CTO"}, headers=system.headers
    )
    lead_id = lead.json()["lead_id"]
    touch = await client.post(
        f"{CAPTURE}/v1/touches",
        headers=system.headers,
        json={"email": address, "type": "webinar_attended", "utm_campaign": "masterclass"},
    )
    assert touch.status_code == 202
    assert touch.json()["lead_id"] == lead_id
    events = await tail.events_for(lead_id, count=2)
    await tail.stop()
    assert events[1]["data"]["is_new"] is False
    assert (events[1]["data"]["touch"]["type"], events[1]["data"]["touch"]["via"]) == (
        "webinar_attended",
        "touch",
    )
    assert events[1]["data"]["person"]["job_title"] == "CTO"
    assert events[1]["data"]["first_touch"]["id"] == events[0]["data"]["touch"]["id"]
    unknown = await client.post(
        f"{CAPTURE}/v1/touches", headers=system.headers, json={"email": email(), "type": "email_click"}
    )
    assert unknown.status_code == 404


async def test_an_erased_person_is_forgotten_everywhere(system: System, client: httpx.AsyncClient) -> None:
    erased_tail = await system.tail("lead.erased")
    scored_tail = await system.tail("lead.scored")
    address = email()
    lead = await client.post(
        f"{CAPTURE}/v1/leads",
        headers=system.headers,
        json={"email": address, "phone": "+4930901820", "job_title": "VP Sales"},
    )
    lead_id = lead.json()["lead_id"]
    await scored_tail.events_for(lead_id)
    erasure = await client.post(f"{CAPTURE}/v1/erasures", json={"email": address}, headers=system.headers)
    assert erasure.status_code == 202, erasure.text
    (erased,) = await erased_tail.events_for(lead_id)
    assert erased["type"] == "lead.erased"
    stored = (await client.get(f"{CAPTURE}/v1/leads/{lead_id}", headers=system.headers)).json()
    assert (stored["email"], stored["phone"], stored["job_title"]) == (None, None, None)
    assert stored["erased_at"] is not None

    async def scoring_forgot() -> None:
        score = await client.get(system.url("scoring", f"/v1/leads/{lead_id}/score"), headers=system.headers)
        assert score.json()["facts"] == {"erased": True}

    await eventually(scoring_forgot)
    again = await client.post(f"{CAPTURE}/v1/leads", json={"email": address}, headers=system.headers)
    assert again.json()["lead_id"] != lead_id  # a new person now
    assert (
        await client.post(f"{CAPTURE}/v1/erasures", json={"lead_id": lead_id}, headers=system.headers)
    ).status_code == 404
    for tail in (erased_tail, scored_tail):
        await tail.stop()


def google_payload(lead_email: str, **overrides: Any) -> dict[str, Any]:
    return {
        "lead_id": f"TeSter-{uuid4().hex}",
        "user_column_data": [
            {"column_name": "Full Name", "string_value": "Grace Hopper", "column_id": "FULL_NAME"},
            {"column_name": "User Email", "string_value": lead_email, "column_id": "EMAIL"},
            {"column_name": "Fleet size?", "string_value": "12 ships", "column_id": "fleet_q"},
        ],
        "api_version": "1.0",
        "form_id": 40000000000,
        "campaign_id": 20000000000,
        "google_key": GOOGLE_KEY,
        "is_test": True,
        "gcl_id": "TeSter-gclid",
        "adgroup_id": 20000000000,
        "creative_id": 30000000000,
        **overrides,
    }


async def test_google_lead_form_webhook(system: System, client: httpx.AsyncClient) -> None:
    tail = await system.tail("lead.captured")
    address = email()
    payload = google_payload(address)
    answers = await asyncio.gather(
        *[client.post(f"{CAPTURE}/v1/webhooks/google", json=payload) for _ in range(4)]
    )
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.json() == {} for a in answers)
    (event,) = await tail.events_for_any(lambda e: e["data"]["person"]["email"] == address)
    touch = event["data"]["touch"]
    assert (touch["via"], touch["type"], touch["is_test"], touch["external_id"]) == (
        "google",
        "ad_lead",
        True,
        payload["lead_id"],
    )
    assert (touch["channel"], touch["gclid"]) == ("paid_search", "TeSter-gclid")
    assert event["data"]["person"]["attributes"]["fleet_size"] == "12 ships"
    assert GOOGLE_KEY not in json.dumps(event)
    assert len(await only_events_for(tail, client, system, address, event["lead_id"], expected=1)) == 1

    forged = await client.post(
        f"{CAPTURE}/v1/webhooks/google", json=google_payload(email(), google_key="wrong")
    )
    assert forged.status_code == 401
    missing = await client.post(f"{CAPTURE}/v1/webhooks/google", json={"google_key": GOOGLE_KEY})
    assert missing.status_code == 400
    await tail.stop()


def meta_signed(body: bytes) -> dict[str, str]:
    return {
        "X-Hub-Signature-256": "sha256=" + hmac_hex(META_APP_SECRET, body),
        "Content-Type": "application/json",
    }


async def test_meta_lead_ads_webhook_fetches_the_lead_with_retries(
    system: System, client: httpx.AsyncClient
) -> None:
    handshake = await client.get(
        f"{CAPTURE}/v1/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": META_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert (handshake.status_code, handshake.text) == (200, "1158201444")
    wrong = await client.get(
        f"{CAPTURE}/v1/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert wrong.status_code == 403

    tail = await system.tail("lead.captured")
    leadgen_ids = [str(uuid4().int % 10**15), str(9007199254740993 + 2 * (uuid4().int % 10**9))]
    addresses = [email(), email()]
    for leadgen_id, address in zip(leadgen_ids, addresses, strict=True):
        await client.put(
            f"{STANDIN_URL}/_leads/meta/{leadgen_id}",
            json={
                "fail_first": 2,
                "lead": {
                    "created_time": "2026-11-02T09:00:00+0000",
                    "id": leadgen_id,
                    "form_id": "777",
                    "campaign_name": "Spring",
                    "field_data": [
                        {"name": "email", "values": [address]},
                        {"name": "full_name", "values": ["Joe Example"]},
                        {"name": "phone_number", "values": ["not a phone"]},
                    ],
                },
            },
        )
    # two entries, the second with a numeric id wider than 2**53, written into the JSON as a number
    first = {
        "id": "1",
        "time": 1,
        "changes": [
            {
                "field": "leadgen",
                "value": {
                    "leadgen_id": leadgen_ids[0],
                    "form_id": "777",
                    "page_id": "1",
                    "created_time": 1762074000,
                },
            }
        ],
    }
    second = {
        "id": 2,
        "time": 1,
        "changes": [
            {"field": "leadgen", "value": {"leadgen_id": "WIDE", "form_id": 777, "created_time": 1762074000}}
        ],
    }
    # the second id goes into the JSON as a bare number wider than 2**53, as Meta may send it
    body = json.dumps({"object": "page", "entry": [first, second]}).replace('"WIDE"', leadgen_ids[1]).encode()
    forged = await client.post(
        f"{CAPTURE}/v1/webhooks/meta", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    assert forged.status_code == 401
    for _ in range(2):  # Meta retries deliveries; the second changes nothing
        answer = await client.post(f"{CAPTURE}/v1/webhooks/meta", content=body, headers=meta_signed(body))
        assert (answer.status_code, answer.text) == (200, "EVENT_RECEIVED")

    for leadgen_id, address in zip(leadgen_ids, addresses, strict=True):
        (event,) = await tail.events_for_any(
            lambda e, a=address: e["data"]["person"]["email"] == a, within=60
        )
        touch = event["data"]["touch"]
        assert (touch["via"], touch["external_id"], touch["source"], touch["campaign"]) == (
            "meta",
            leadgen_id,
            "facebook",
            "Spring",
        )
        assert event["data"]["person"]["phone"] is None  # the invalid answer was dropped, the lead kept
        fetches = (await client.get(f"{STANDIN_URL}/_fetches/meta/{leadgen_id}")).json()["fetches"]
        assert fetches == 3  # two failures, then the lead
        assert len(await only_events_for(tail, client, system, address, event["lead_id"], expected=1)) == 1
    await tail.stop()


def linkedin_signed(body: bytes) -> dict[str, str]:
    """Signed as LinkedIn documents it: hex HMAC-SHA256 of "hmacsha256=" + the raw body, keyed with
    the client secret (computed here, not with capture's own code)."""
    signature = hmac_hex(LINKEDIN_CLIENT_SECRET, b"hmacsha256=" + body)
    return {"X-LI-Signature": signature, "Content-Type": "application/json"}


async def test_linkedin_lead_sync_created_and_deleted(system: System, client: httpx.AsyncClient) -> None:
    code = str(uuid4())
    challenge = await client.get(f"{CAPTURE}/v1/webhooks/linkedin", params={"challengeCode": code})
    assert challenge.json() == {
        "challengeCode": code,
        "challengeResponse": hmac_hex(LINKEDIN_CLIENT_SECRET, code.encode()),
    }
    captured_tail = await system.tail("lead.captured")
    erased_tail = await system.tail("lead.erased")
    response_id = f"urn:li:leadGenFormResponse:{uuid4()}"
    address = email()
    await client.put(
        f"{STANDIN_URL}/_leads/linkedin/{response_id}",
        json={
            "form_id": "456",
            "form": {
                "content": {
                    "questions": [
                        {"questionId": 1, "name": "email", "predefinedField": "EMAIL"},
                        {"questionId": 2, "name": "title", "predefinedField": "JOB_TITLE"},
                    ]
                }
            },
            "lead": {
                "id": response_id,
                "submittedAt": 1762074000000,
                "testLead": False,
                "leadType": "SPONSORED",
                "versionedLeadGenFormUrn": "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:456,1)",
                "formResponse": {
                    "answers": [
                        {"questionId": 1, "answerDetails": {"textQuestionAnswer": {"answer": address}}},
                        {
                            "questionId": 2,
                            "answerDetails": {"textQuestionAnswer": {"answer": "Head of Growth"}},
                        },
                    ]
                },
            },
        },
    )
    notification = {
        "type": "LEAD_ACTION",
        "leadAction": "CREATED",
        "leadGenFormResponse": response_id,
        "leadGenForm": "urn:li:leadGenForm:456",
        "leadType": "SPONSORED",
        "occuredAt": 1762074000000,
    }
    body = json.dumps(notification).encode()
    forged = await client.post(
        f"{CAPTURE}/v1/webhooks/linkedin", content=body, headers={"X-LI-Signature": "00"}
    )
    assert forged.status_code == 401
    assert (
        await client.post(f"{CAPTURE}/v1/webhooks/linkedin", content=body, headers=linkedin_signed(body))
    ).status_code == 200
    (event,) = await captured_tail.events_for_any(
        lambda e: e["data"]["person"]["email"] == address, within=60
    )
    assert (event["data"]["touch"]["via"], event["data"]["person"]["job_title"]) == (
        "linkedin",
        "Head of Growth",
    )

    deleted = json.dumps(notification | {"leadAction": "DELETED"}).encode()
    await _a_deletion_forged_through_the_challenge_is_refused(client, system, deleted, event["lead_id"])
    assert (
        await client.post(
            f"{CAPTURE}/v1/webhooks/linkedin", content=deleted, headers=linkedin_signed(deleted)
        )
    ).status_code == 200
    (erased,) = await erased_tail.events_for(event["lead_id"])
    assert erased["lead_id"] == event["lead_id"]
    for tail in (captured_tail, erased_tail):
        await tail.stop()


async def _a_deletion_forged_through_the_challenge_is_refused(
    client: httpx.AsyncClient, system: System, deleted: bytes, lead_id: str
) -> None:
    """The challenge endpoint signs with the secret that signs notifications; it must not sign
    anything a notification could be made of."""
    endpoint = f"{CAPTURE}/v1/webhooks/linkedin"
    for asked in (b"hmacsha256=" + deleted, deleted):
        refused = await client.get(endpoint, params={"challengeCode": asked.decode()})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["query", "challengeCode"]
    answered = await client.get(endpoint, params={"challengeCode": str(uuid4())})
    assert answered.status_code == 200
    forged = await client.post(
        endpoint,
        content=deleted,
        headers={"X-LI-Signature": answered.json()["challengeResponse"], "Content-Type": "application/json"},
    )
    assert forged.status_code == 401
    lead = await client.get(f"{CAPTURE}/v1/leads/{lead_id}", headers=system.headers)
    assert lead.json()["erased_at"] is None
    assert lead.json()["email"] is not None


async def test_importing_history_goes_through_the_same_validation_and_dedupe(
    system: System, client: httpx.AsyncClient, tmp_path: Any
) -> None:
    first, second = email(), email()
    batch = uuid4().hex[:8]
    csv_file = tmp_path / "history.csv"
    csv_file.write_text(
        "email,first_name,utm_source,utm_medium,occurred_at,type,external_id\n"
        f"{first},Ada,webinar,event,2025-03-01T10:00:00Z,webinar_attended,{batch}-1\n"
        f"{second},Grace,,,2025-04-01T10:00:00+02:00,,{batch}-2\n"
        f"not-an-email,Alan,,,,,{batch}-3\n"
    )
    run = system.leadloop_cli("import", "touches", str(csv_file), "--source", "crm-export")
    assert run.returncode == 1, run.stdout + run.stderr  # one row refused
    assert "2 imported, 0 already imported, 1 refused" in run.stdout
    assert "line 4: email" in run.stdout
    again = system.leadloop_cli("import", "touches", str(csv_file), "--source", "crm-export")
    assert "0 imported, 2 already imported, 1 refused" in again.stdout

    found = await client.post(
        f"{CAPTURE}/v1/touches", headers=system.headers, json={"email": second, "type": "page_visit"}
    )
    assert found.status_code == 202
    touches = await touches_of(client, system, found.json()["lead_id"])
    oldest = touches[0]  # the backfilled touch keeps its own time, before today's visit
    assert (oldest["via"], oldest["source"], oldest["type"], oldest["occurred_at"][:10]) == (
        "import",
        "crm-export",
        "import",
        "2025-04-01",
    )


async def test_an_import_keeps_its_good_rows_and_lists_the_unstorable_by_line(tmp_path: Any) -> None:
    """NUL and bytes that are not UTF-8 used to abort the import and lose the good rows of the chunk."""
    batch = uuid4().hex[:8]
    csv_file = tmp_path / "dirty.csv"
    csv_file.write_bytes(
        b"email,first_name,external_id\n"
        + f"{email()},Ada,{batch}-1\n".encode()
        + f"{email()},Gr\x00ace,{batch}-2\n".encode()
        + email().encode()
        + b",Ren\xe9,"
        + f"{batch}-3\n".encode()
        + f"{email()},Alan,{batch}-4\n".encode()
    )
    run = System.leadloop_cli("import", "touches", str(csv_file))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 imported, 0 already imported, 2 refused" in run.stdout
    assert "line 3: first_name: text may not contain the NUL character" in run.stdout
    assert "line 4: first_name: text may not contain a lone surrogate" in run.stdout


async def test_a_lead_whose_fetch_failed_is_kept_and_can_be_retried(
    system: System, client: httpx.AsyncClient
) -> None:
    tail = await system.tail("lead.captured")
    leadgen_id = str(uuid4().int % 10**15)
    notification = {
        "object": "page",
        "entry": [
            {
                "id": "1",
                "time": 1,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {"leadgen_id": leadgen_id, "form_id": "777", "created_time": 1762074000},
                    }
                ],
            }
        ],
    }
    body = json.dumps(notification).encode()
    # the platform does not know the lead yet: its API answers 404, which no retry can mend
    answer = await client.post(f"{CAPTURE}/v1/webhooks/meta", content=body, headers=meta_signed(body))
    assert answer.status_code == 200

    def listed() -> str:
        return system.leadloop_cli("platform-leads", "list", "--status", "failed").stdout

    async def failed() -> None:
        assert leadgen_id in listed()

    await eventually(failed)
    address = email()
    await client.put(
        f"{STANDIN_URL}/_leads/meta/{leadgen_id}",
        json={
            "lead": {
                "id": leadgen_id,
                "form_id": "777",
                "field_data": [{"name": "email", "values": [address]}],
            }
        },
    )
    retried = system.leadloop_cli("platform-leads", "retry", leadgen_id)
    assert "1 platform lead(s) queued" in retried.stdout
    (event,) = await tail.events_for_any(lambda e: e["data"]["person"]["email"] == address, within=60)
    assert event["data"]["touch"]["external_id"] == leadgen_id
    assert leadgen_id not in listed()
    await tail.stop()
