"""Least privilege and secrets, against the running system: key scopes per endpoint, 404s that
reveal nothing, a key spray answered with 429 while known keys are served from the cache, and no
configured secret in any log line or stored row. (Runs last of the system tests: its log search
then covers the whole run.)"""

from __future__ import annotations

import asyncio
import json
import secrets
from uuid import uuid4

import httpx
from sqlalchemy import text

from leadkit.db import create_engine
from leadkit.testing import eventually
from tests.system.fixtures import (
    GOOGLE_KEY,
    LOG_DIR,
    META_APP_SECRET,
    META_VERIFY_TOKEN,
    SECRETS,
    STANDIN_URL,
    System,
    database_url,
    hmac_hex,
    key_prefix,
    metric_total,
)

CAPTURE = "http://127.0.0.1:18001"


def email() -> str:
    return f"sec-{uuid4().hex[:12]}@corp-{uuid4().hex[:6]}.example"


def new_key(system: System, *scopes: str) -> str:
    options = [arg for scope in scopes for arg in ("--scope", scope)]
    source = "-".join(("scoped", *scopes))  # its own key prefix, so `keys list` tells them apart
    created = system.leadloop_cli("keys", "create", "--name", "Scoped", "--source", source, *options)
    assert created.returncode == 0, created.stderr
    return created.stdout.split()[0]


async def test_each_endpoint_checks_the_scope_it_needs(system: System, client: httpx.AsyncClient) -> None:
    ingest, reader, eraser, admin = (
        new_key(system),  # a per-source key gets `ingest` only
        new_key(system, "read"),
        new_key(system, "erase"),
        new_key(system, "admin"),
    )
    posted = await client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers={"X-API-Key": ingest})
    assert posted.status_code == 202, posted.text
    lead_url = f"{CAPTURE}/v1/leads/{posted.json()['lead_id']}"

    denied_read = await client.get(lead_url, headers={"X-API-Key": ingest})
    assert denied_read.status_code == 403
    assert "'read' scope" in denied_read.json()["detail"]
    assert (await client.get(lead_url, headers={"X-API-Key": reader})).status_code == 200
    assert (await client.get(lead_url, headers={"X-API-Key": admin})).status_code == 200
    assert (await client.get(lead_url, headers=system.headers)).status_code == 200  # a system key

    denied_ingest = await client.post(
        f"{CAPTURE}/v1/leads", json={"email": email()}, headers={"X-API-Key": reader}
    )
    assert denied_ingest.status_code == 403
    assert "'ingest' scope" in denied_ingest.json()["detail"]

    erasure = {"lead_id": posted.json()["lead_id"]}
    for key in (ingest, reader):
        denied_erase = await client.post(f"{CAPTURE}/v1/erasures", json=erasure, headers={"X-API-Key": key})
        assert denied_erase.status_code == 403
        assert "'erase' scope" in denied_erase.json()["detail"]
    assert (await client.get(lead_url, headers={"X-API-Key": reader})).json()["erased_at"] is None
    erased = await client.post(f"{CAPTURE}/v1/erasures", json=erasure, headers={"X-API-Key": eraser})
    assert erased.status_code == 202, erased.text

    listed = system.leadloop_cli("keys", "list")
    assert listed.returncode == 0, listed.stderr
    scopes_of = {
        key: [line for line in listed.stdout.splitlines() if key_prefix(key) in line]
        for key in (reader, ingest)
    }
    assert "read" in scopes_of[reader][0]
    assert "ingest" in scopes_of[ingest][0]
    wrong = system.leadloop_cli("keys", "create", "--name", "X", "--source", "x", "--scope", "everything")
    assert wrong.returncode != 0
    assert "everything" in wrong.stdout + wrong.stderr


async def test_a_touch_for_an_unknown_email_says_nothing_about_who_exists(
    system: System, client: httpx.AsyncClient
) -> None:
    unknown = email()
    by_email = await client.post(
        f"{CAPTURE}/v1/touches", json={"email": unknown, "type": "page_visit"}, headers=system.headers
    )
    by_id = await client.post(
        f"{CAPTURE}/v1/touches", json={"lead_id": str(uuid4()), "type": "page_visit"}, headers=system.headers
    )
    assert (by_email.status_code, by_id.status_code) == (404, 404)
    assert by_email.json() == by_id.json()  # the same words whatever was asked
    assert unknown not in by_email.text


async def test_a_key_spray_gets_429_and_known_keys_are_still_answered_from_the_cache(
    system: System, client: httpx.AsyncClient
) -> None:
    # this instance caches keys (the shared test instance does not, so revocations are instant)
    base = await system.start_instance(
        "capture-cached",
        service="capture",
        port=18011,
        env={"CAPTURE_API_KEY_CACHE_SECONDS": "600", "CAPTURE_AUTH_FAILURES_PER_MINUTE": "30"},
    )
    try:
        key = new_key(system)

        async def post(api_key: str) -> int:
            answer = await client.post(
                f"{base}/v1/leads", json={"email": email()}, headers={"X-API-Key": api_key}
            )
            return answer.status_code

        assert await post(key) == 202  # looked up once, then cached
        before = await lookups(client, base)
        started = asyncio.get_running_loop().time()
        statuses: list[int] = []
        valid: list[int] = []
        for _ in range(10):  # 5,000 random keys from one address, a known key among them
            statuses += await asyncio.gather(
                *(post(f"ll_spray_{secrets.token_urlsafe(24)}") for _ in range(500))
            )
            valid.append(await post(key))
        after = await lookups(client, base)
        elapsed = asyncio.get_running_loop().time() - started
    finally:
        system.processes.stop("capture-cached")

    assert set(statuses) == {401, 429}
    # the address's 30 failures, and what refilled at 30 a minute while the spray went on
    assert statuses.count(401) <= 30 + elapsed / 2 + 1
    assert statuses.count(429) >= 5_000 - 30 - elapsed / 2 - 1
    assert valid == [202] * 10
    assert after["cache"] - before["cache"] == 10  # every known-key request from the cache …
    assert after["database_found"] == before["database_found"]  # … none from the database
    assert after["database_unknown"] - before["database_unknown"] == statuses.count(401)
    assert after["refused"] - before["refused"] == statuses.count(429)


async def lookups(client: httpx.AsyncClient, base: str) -> dict[str, float]:
    """capture's key authentications so far, by how each was answered."""
    name = "leadloop_api_key_lookups_total"
    return {
        outcome: await metric_total(client, base, name, outcome=outcome)
        for outcome in ("cache", "database_found", "database_unknown", "refused")
    }


async def test_no_configured_secret_reaches_a_log_line_or_a_stored_row(
    system: System, client: httpx.AsyncClient
) -> None:
    # every path that handles a secret: the Meta handshake (the verify token in the query
    # string), a Meta lead whose every fetch fails (the page token; httpx's error, which quotes
    # the URL, is stored and logged), the Google webhook (its key in the body), LinkedIn's challenge
    handshake = await client.get(
        f"{CAPTURE}/v1/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "42"},
    )
    assert handshake.text == "42"
    leadgen_id = str(uuid4().int % 10**15)
    await client.put(
        f"{STANDIN_URL}/_leads/meta/{leadgen_id}",
        json={
            "fail_first": 100,
            "lead": {
                "id": leadgen_id,
                "form_id": "9",
                "field_data": [{"name": "email", "values": [email()]}],
            },
        },
    )
    body = json.dumps(
        {
            "object": "page",
            "entry": [{"changes": [{"field": "leadgen", "value": {"leadgen_id": leadgen_id}}]}],
        }
    ).encode()
    signature = hmac_hex(META_APP_SECRET, body)
    notified = await client.post(
        f"{CAPTURE}/v1/webhooks/meta",
        content=body,
        headers={"X-Hub-Signature-256": f"sha256={signature}", "Content-Type": "application/json"},
    )
    assert notified.status_code == 200
    google = await client.post(
        f"{CAPTURE}/v1/webhooks/google",
        json={
            "lead_id": uuid4().hex,
            "api_version": "1.0",
            "form_id": 40000000000,
            "google_key": GOOGLE_KEY,
            "user_column_data": [
                {"column_name": "User Email", "string_value": email(), "column_id": "EMAIL"}
            ],
        },
    )
    assert google.status_code == 200, google.text
    assert (
        await client.get(f"{CAPTURE}/v1/webhooks/linkedin", params={"challengeCode": str(uuid4())})
    ).is_success

    engine = create_engine(database_url("capture"), pool_size=1)
    try:

        async def given_up_with_its_error() -> str:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        text("SELECT status, last_error FROM platform_leads WHERE external_id = :id"),
                        {"id": leadgen_id},
                    )
                ).one()
            assert row.status == "failed"
            return str(row.last_error)

        error = await eventually(given_up_with_its_error, within=60)
        assert f"/graph/v21.0/{leadgen_id}" in error  # the URL is there, the token is not
        async with engine.connect() as conn:
            stored = [
                str(value)
                for table in ("platform_leads", "spam_submissions", "outbox")
                for value in (
                    await conn.execute(text(f"SELECT row_to_json(t)::text FROM {table} t"))
                ).scalars()
            ]
    finally:
        await engine.dispose()

    logs = {path.name: path.read_text(errors="replace") for path in LOG_DIR.glob("test-*.log")}
    assert "test-capture.log" in logs
    assert "GET /v1/webhooks/meta?" in logs["test-capture.log"]  # the access log has query strings …
    assert "hub.verify_token=[redacted]" in logs["test-capture.log"]  # … with credentials masked
    for setting, secret in SECRETS.items():
        for name, content in logs.items():
            assert secret not in content, f"{setting} appears in {name}"
        assert not [row for row in stored if secret in row], f"{setting} is stored in capture's database"


async def test_a_revoke_that_names_two_keys_revokes_neither(system: System) -> None:
    """Keys made before prefixes held random characters share theirs (`ll_auditrota` named every
    key of a source); revoking by such a prefix is refused and both keys keep working."""
    legacy = f"ll_{uuid4().hex[:9]}"
    engine = create_engine(database_url("capture"), pool_size=1)
    try:
        async with engine.begin() as conn:
            for _ in range(2):
                await conn.execute(
                    text(
                        "INSERT INTO api_keys (id, name, source, key_hash, prefix, scopes, created_at) "
                        "VALUES (:id, 'legacy', 'legacy', :hash, :prefix, '{ingest}', now())"
                    ),
                    {"id": uuid4(), "hash": uuid4().hex, "prefix": legacy},
                )
        refused = system.leadloop_cli("keys", "revoke", legacy)
        assert refused.returncode == 1
        assert "names 2 active keys" in refused.stdout
        async with engine.begin() as conn:
            active = await conn.scalar(
                text("SELECT count(*) FROM api_keys WHERE prefix = :p AND revoked_at IS NULL"), {"p": legacy}
            )
        assert active == 2
    finally:
        await engine.dispose()


async def test_every_webhook_is_limited_per_client_address(system: System, client: httpx.AsyncClient) -> None:
    base = await system.start_instance(
        "capture-limited", service="capture", port=18012, env={"CAPTURE_RATE_LIMIT_PER_IP": "1"}
    )
    try:
        for method, path in (
            ("GET", "/v1/webhooks/meta?hub.mode=subscribe"),
            ("POST", "/v1/webhooks/meta"),
            ("GET", "/v1/webhooks/linkedin?challengeCode=x"),
            ("POST", "/v1/webhooks/linkedin"),
            ("POST", "/v1/webhooks/google"),
        ):
            statuses = [
                (await client.request(method, base + path, content=b"{}")).status_code for _ in range(4)
            ]
            assert 429 in statuses, (path, statuses)  # a burst of 2, then one a second
    finally:
        system.processes.stop("capture-limited")


async def test_an_idempotency_key_is_the_callers_own(system: System, client: httpx.AsyncClient) -> None:
    """Two sales tools choosing the same Idempotency-Key for one lead are two requests."""
    run = uuid4().hex[:6]
    created = system.leadloop_cli("sla", "keys", "create", "--name", f"idem-{run}")
    assert created.returncode == 0, created.stdout + created.stderr
    tool = {"X-API-Key": created.stdout.strip().splitlines()[-1]}
    posted = await client.post(f"{CAPTURE}/v1/leads", json={"email": email()}, headers=system.headers)
    lead_id = posted.json()["lead_id"]
    url = system.url("sla-monitor", f"/v1/leads/{lead_id}/progress")

    async def known() -> None:
        assert (
            await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=tool)
        ).status_code == 200

    await eventually(known)
    same_key = {"Idempotency-Key": f"step-{run}"}
    rejected = await client.post(
        url, json={"stage": "rejected", "reason": "no_need"}, headers=system.headers | same_key
    )
    assert rejected.status_code == 202, rejected.text
    won = await client.post(
        url,
        json={"stage": "won", "amount": "10.00", "currency": "EUR", "force": True, "detail": "typo"},
        headers=tool | same_key,
    )
    assert won.status_code == 202, won.text
    assert won.json()["event_id"] != rejected.json()["event_id"]  # not the system key's stored answer
    again = await client.post(
        url, json={"stage": "rejected", "reason": "no_need"}, headers=system.headers | same_key
    )
    assert again.json()["event_id"] == rejected.json()["event_id"]  # the system key's own retry
    currency = await client.post(
        url,
        json={"stage": "won", "amount": "1.00", "currency": "ZZZ", "force": True, "detail": "x"},
        headers=system.headers,
    )
    assert currency.status_code == 422
    assert currency.json()["detail"][0]["loc"] == ["body", "currency"]


async def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
    system: System, client: httpx.AsyncClient
) -> None:
    """A client naming its own address in X-Forwarded-For walks past no per-address limit; behind
    a proxy that is listed, each visitor the proxy forwards has a bucket of its own."""
    limit = {"CAPTURE_FORM_RATE_LIMIT_PER_IP": "3"}
    for name, port, env, limited in (
        ("capture-direct", 18013, limit, True),
        ("capture-proxied", 18014, limit | {"LEADLOOP_TRUSTED_PROXIES": "127.0.0.1"}, False),
    ):
        base = await system.start_instance(name, service="capture", port=port, env=env)
        try:
            statuses = [
                (
                    await client.post(
                        f"{base}/v1/forms/none?key=none",
                        data={"email": email()},
                        headers={"X-Forwarded-For": f"203.0.113.{n}"},
                    )
                ).status_code
                for n in range(8)
            ]
            assert (429 in statuses) is limited, (name, statuses)
        finally:
            system.processes.stop(name)
