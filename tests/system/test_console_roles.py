"""Console keys against the running services: one key, one role, at all five; each endpoint
refuses what the role does not allow (403) and a viewer sees personal data masked unless its key
may read it; a revoked key stops working everywhere at once; a create that cannot reach every
service's database makes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest

from tests.system.fixtures import QUALIFYING, System

SERVICES = ("capture", "scoring", "routing", "sla-monitor", "reporting")


def made_key(system: System, role: str, *options: str) -> str:
    created = system.leadloop_cli(
        "console-keys", "create", "--name", f"{role}-{uuid4().hex[:6]}", "--role", role, *options
    )
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("ll_console_")
    return key


def prefix_of(key: str) -> str:
    """`ll_console_<slug>_` and the random part's first 8 characters (which may hold `_` too)."""
    ll, console, slug, random_part = key.split("_", 3)
    return f"{ll}_{console}_{slug}_{random_part[:8]}"


@pytest.fixture
def keys(system: System) -> Iterator[dict[str, str]]:
    made = {
        "viewer": made_key(system, "viewer"),
        "viewer+personal": made_key(system, "viewer", "--personal-data"),
        "operator": made_key(system, "operator"),
        "admin": made_key(system, "admin"),
    }
    yield made
    for key in made.values():
        system.leadloop_cli("console-keys", "revoke", prefix_of(key))


async def posted_lead(system: System, client: httpx.AsyncClient) -> tuple[str, str]:
    email = f"{uuid4().hex[:10]}@roles.example"
    posted = await client.post(
        system.url("capture", "/v1/leads"),
        json={"email": email, **QUALIFYING, "phone": "+14155550199"},
        headers=system.headers,
    )
    assert posted.status_code == 202, posted.text
    return posted.json()["lead_id"], email


async def test_one_console_key_opens_all_five_services_with_its_role(
    system: System, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    for role in ("viewer", "operator", "admin"):
        for service in SERVICES:
            answer = await client.get(system.url(service, "/v1/session"), headers={"X-API-Key": keys[role]})
            assert answer.status_code == 200, (service, answer.text)
            assert answer.json() | {"service": service} == {
                "service": service,
                "key": "console",
                "name": answer.json()["name"],
                "role": role,
                "personal_data": False,
            }
    system_session = await client.get(system.url("routing", "/v1/session"), headers=system.headers)
    assert system_session.json()["key"] == "system"
    assert system_session.json()["role"] == "admin"


async def test_each_role_does_what_it_may_and_is_refused_the_rest(
    system: System, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    reps = (await client.get(system.url("routing", "/v1/reps"), headers=system.headers)).json()
    rep = next(r for r in reps if r["active"])
    availability = {"active": True, "reason": "roles test: unchanged", "absences": rep["absences"]}
    fields = ("name", "email", "team", "weight", "daily_cap", "weekly_cap", "max_open", "skills")
    rep_write = {k: rep[k] for k in (*fields, "timezone", "hours", "active")}

    async def call(role: str, method: str, service: str, path: str, body: object = None) -> int:
        answer = await client.request(
            method, system.url(service, path), json=body, headers={"X-API-Key": keys[role]}
        )
        return answer.status_code

    lead_id, _ = await posted_lead(system, client)
    reads = [
        ("reporting", "/v1/reports/overview?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"),
        ("routing", "/v1/reps"),
        ("routing", "/v1/routing/policies"),
        ("scoring", "/v1/scoring/models"),
        ("sla-monitor", "/v1/sla/policies"),
        ("sla-monitor", f"/v1/leads/{lead_id}/deliveries"),
        ("capture", f"/v1/leads/{lead_id}"),
    ]
    for service, path in reads:
        assert await call("viewer", "GET", service, path) == 200, (service, path)

    operator_only = ("PUT", "routing", f"/v1/reps/{rep['id']}/availability", availability)
    admin_only = [
        ("PUT", "routing", f"/v1/reps/{rep['id']}", rep_write),
        ("GET", "sla-monitor", "/v1/subscriptions", None),
        ("POST", "routing", "/v1/routing/policies/rollback", None),
    ]
    assert await call("viewer", *operator_only) == 403
    assert await call("operator", *operator_only) == 200
    assert await call("viewer", "POST", "routing", f"/v1/leads/{uuid4()}/reassign", {"reason": "x"}) == 403
    assert await call("operator", "POST", "routing", f"/v1/leads/{uuid4()}/reassign", {"reason": "x"}) == 404
    for method, service, path, body in admin_only:
        assert await call("operator", method, service, path, body) == 403, path
    assert await call("admin", "PUT", "routing", f"/v1/reps/{rep['id']}", rep_write) == 200
    assert await call("admin", "GET", "sla-monitor", "/v1/subscriptions") == 200
    # no console role posts leads: that is a source's key
    assert await call("admin", "POST", "capture", "/v1/leads", {"email": "x@roles.example"}) == 403
    refused = await client.put(
        system.url("routing", f"/v1/reps/{rep['id']}"),
        json=rep_write,
        headers={"X-API-Key": keys["operator"]},
    )
    assert "admin" in refused.json()["detail"]


async def test_personal_data_is_masked_unless_the_key_may_read_it(
    system: System, client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    lead_id, email = await posted_lead(system, client)
    path = system.url("capture", f"/v1/leads/{lead_id}")
    masked = (await client.get(path, headers={"X-API-Key": keys["viewer"]})).json()
    assert masked["email"] == f"{email[0]}•••@roles.example"
    assert (masked["first_name"], masked["phone"]) == ("G•••", "+•••")
    assert masked["company_size"] == QUALIFYING["company_size"]
    assert email not in str(masked)
    for role in ("viewer+personal",):
        shown = (await client.get(path, headers={"X-API-Key": keys[role]})).json()
        assert (shown["email"], shown["first_name"]) == (email, QUALIFYING["first_name"])


async def test_only_an_admin_erases(system: System, client: httpx.AsyncClient, keys: dict[str, str]) -> None:
    lead_id, _ = await posted_lead(system, client)
    url = system.url("capture", "/v1/erasures")
    for role in ("viewer", "viewer+personal", "operator"):
        refused = await client.post(url, json={"lead_id": lead_id}, headers={"X-API-Key": keys[role]})
        assert refused.status_code == 403, role
    erased = await client.post(url, json={"lead_id": lead_id}, headers={"X-API-Key": keys["admin"]})
    assert erased.status_code in (200, 202), erased.text


async def test_a_revoked_key_stops_working_at_every_service(
    system: System, client: httpx.AsyncClient
) -> None:
    key = made_key(system, "operator")
    prefix = prefix_of(key)
    listed = system.leadloop_cli("console-keys", "list")
    assert prefix in listed.stdout
    assert key not in listed.stdout + listed.stderr
    revoked = system.leadloop_cli("console-keys", "revoke", prefix)
    assert revoked.returncode == 0, revoked.stderr
    for service in SERVICES:
        answer = await client.get(system.url(service, "/v1/session"), headers={"X-API-Key": key})
        assert answer.status_code == 401, service
    again = system.leadloop_cli("console-keys", "revoke", prefix)
    assert "already revoked" in again.stderr


async def test_a_create_that_cannot_reach_one_database_makes_nothing(system: System) -> None:
    name = f"half-{uuid4().hex[:6]}"
    failed = system.leadloop_cli(
        "console-keys",
        "create",
        "--name",
        name,
        env={"SCORING_DATABASE_URL": "postgresql+asyncpg://scoring:scoring@127.0.0.1:1/scoring?ssl=disable"},
    )
    assert failed.returncode == 1
    assert "scoring's database: unreachable" in failed.stderr
    assert failed.stdout.strip() == ""
    listed = system.leadloop_cli("console-keys", "list")
    assert name not in listed.stdout
