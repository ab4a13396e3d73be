"""Sales tools receive lead events, through the running system: a receiver subscribed over the
API gets a signed `lead.qualified` for a lead posted to capture, which the official verifier
accepts; stopped while more leads come, it gets every delivery once back, in order per lead, with
the same ids; the deliveries are visible over the API and a window can be replayed; a loopback
endpoint the allow-list does not name, an unknown event type or filter, and a non-admin key are
refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from leadkit.testing import eventually
from tests.receiver import Receiver, free_port, served
from tests.system.fixtures import QUALIFYING, System

SUBSCRIPTIONS = "/v1/subscriptions"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with served(Receiver()) as found:
        yield found


async def post_lead(client: httpx.AsyncClient, system: System) -> str:
    body = {"email": f"{uuid4().hex[:10]}@hopper-labs.example", **QUALIFYING}
    response = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["lead_id"])


async def subscribe(client: httpx.AsyncClient, system: System, body: dict[str, Any]) -> httpx.Response:
    return await client.post(system.url("sla-monitor", SUBSCRIPTIONS), json=body, headers=system.headers)


def first_delivery_id(receiver: Receiver, lead_id: str) -> str:
    return next(
        r.headers["webhook-id"] for r in receiver.received if json.loads(r.body)["data"]["lead_id"] == lead_id
    )


def qualified_for(receiver: Receiver, lead_id: str) -> list[dict[str, Any]]:
    found = [json.loads(r.body) for r in receiver.received]
    return [b for b in found if b["type"] == "lead.qualified" and b["data"]["lead_id"] == lead_id]


async def test_a_subscriber_gets_signed_qualified_leads_and_all_it_missed_in_order(
    system: System, receiver: Receiver
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        created = await subscribe(
            client,
            system,
            {"url": receiver.url, "event_types": ["lead.qualified"], "description": "the CRM's receiver"},
        )
        assert created.status_code == 201, created.text
        subscription = created.json()
        secret = subscription["secret"]
        here = system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription['id']}")
        assert secret.startswith("whsec_")
        shown = await client.get(
            system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription['id']}"), headers=system.headers
        )
        assert "secret" not in shown.json()  # shown once, at creation

        ready = await client.get(system.url("sla-monitor", "/readyz"))
        assert ready.json()["checks"]["deliveries"] is True  # the delivery process is up and listening
        lead_id = await post_lead(client, system)

        async def delivered() -> dict[str, Any]:
            found = qualified_for(receiver, lead_id)
            assert found, "not delivered yet"
            return found[0]

        body = await eventually(delivered, within=60)
        got = next(r for r in receiver.received if lead_id.encode() in r.body)
        assert Webhook(secret).verify(got.body, got.headers) == body  # the official verifier
        assert body["data"]["person"]["first_name"] == QUALIFYING["first_name"]
        assert body["data"]["owner"] is not None
        of_lead = await client.get(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/deliveries"), headers=system.headers
        )
        assert of_lead.status_code == 200, of_lead.text
        (sent,) = [d for d in of_lead.json() if d["subscription_id"] == subscription["id"]]
        assert (sent["status"], sent["event_type"], sent["kind"]) == (
            "delivered",
            "lead.qualified",
            "webhook",
        )
        assert sent["event_id"] == got.headers["webhook-id"]
        assert sent["description"] == "the CRM's receiver"

        async def counted() -> None:  # the delivery process's metrics, in the service's /metrics
            metrics = await client.get(system.url("sla-monitor", "/metrics"))
            delivered = [
                line
                for line in metrics.text.splitlines()
                if line.startswith('leadloop_deliveries_total{outcome="delivered"}')
            ]
            assert delivered
            assert float(delivered[0].split()[-1]) >= 1

        await eventually(counted, within=30)

        await receiver.stop()
        missed = [await post_lead(client, system) for _ in range(3)]

        async def waiting() -> None:
            listed = await client.get(
                system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries"),
                params={"status": "pending"},
                headers=system.headers,
            )
            assert listed.status_code == 200
            assert len([d for d in listed.json() if d["attempts"] >= 1]) >= 1  # tried while down

        await eventually(waiting, within=60)
        await receiver.start()

        async def all_arrived() -> None:
            for lead in missed:
                assert len(qualified_for(receiver, lead)) >= 1

        await eventually(all_arrived, within=60)
        # leads whose accept clock runs out are reassigned meanwhile: more deliveries keep coming
        ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) == len(set(ids))  # each sent once
        listed = await client.get(f"{here}/deliveries", params={"limit": 500}, headers=system.headers)
        assert set(ids) <= {d["event_id"] for d in listed.json()}
        for got in receiver.received:
            Webhook(secret).verify(got.body, got.headers)
        first_ids = [first_delivery_id(receiver, lead) for lead in (lead_id, *missed)]
        for lead in (lead_id, *missed):  # a reassignment never arrives before the assignment it follows
            assignments = [body["data"]["routing"]["assignment"] for body in qualified_for(receiver, lead)]
            assert assignments == sorted(assignments)

        # counted before asking: the receiver shares this loop, so a replayed delivery may arrive
        # while the replay's own answer is on its way
        before = len(receiver.received)
        now = datetime.now(UTC)
        replayed = await client.post(
            system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription['id']}/replay"),
            params={
                "from": (now - timedelta(hours=1)).isoformat(),
                "to": (now + timedelta(minutes=1)).isoformat(),
            },
            headers=system.headers,
        )
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["queued"] >= 4

        async def again() -> None:
            again_ids = {r.headers["webhook-id"] for r in receiver.received[before:]}
            assert set(first_ids) <= again_ids  # the same webhook-ids, sent again

        await eventually(again, within=60)
        deleted = await client.delete(
            system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription['id']}"), headers=system.headers
        )
        assert deleted.status_code == 204


async def test_what_may_not_be_subscribed_is_a_422_naming_the_field(system: System) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        metadata = await subscribe(
            client,
            system,
            {"url": "http://169.254.169.254/latest/meta-data", "event_types": ["lead.qualified"]},
        )
        assert metadata.status_code == 422
        assert metadata.json()["detail"][0]["loc"] == ["body", "url"]
        unknown = await subscribe(
            client,
            system,
            {
                "url": "https://example.com/h",
                "event_types": ["lead.teleported"],
                "filters": {"colour": "red"},
            },
        )
        assert unknown.status_code == 422
        places = {tuple(e["loc"][:2]) for e in unknown.json()["detail"]}
        assert ("body", "event_types") in places
        assert ("body", "filters") in places
        crm = await subscribe(
            client,
            system,
            {"kind": "hubspot", "event_types": ["lead.qualified"], "owner_map": {"amara": "ann@example.com"}},
        )
        assert crm.status_code == 422
        assert [e["loc"] for e in crm.json()["detail"]] == [["body", "token"], ["body", "owner_map", "amara"]]
        made = system.leadloop_cli("sla", "keys", "create", "--name", f"outreach{uuid4().hex[:4]}")
        assert made.returncode == 0, made.stderr
        progress_only = made.stdout.strip().splitlines()[-1]
        listed = await client.get(
            system.url("sla-monitor", SUBSCRIPTIONS), headers={"X-API-Key": progress_only}
        )
        assert listed.status_code == 403
        assert "admin" in listed.json()["detail"]


async def test_an_owner_map_names_only_reps_on_routing_s_roster(
    system: System, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """sla-monitor learns the roster from routing's rep.changed: the shipped reps at once, a rep
    put over routing's API soon after, and a removed one is refused again."""
    run = uuid4().hex[:6]
    team, rep = f"crm-{run}", f"cara-{run}"

    def hubspot(owner_map: dict[str, str]) -> dict[str, Any]:
        # the receiver stands in for HubSpot's address: the subscription is deleted before any lead
        return {
            "kind": "hubspot",
            "url": receiver.url,
            "token": "pat-na1-00000000-0000-0000-0000-000000000000",
            "event_types": ["lead.qualified"],
            "owner_map": owner_map,
        }

    async def subscribed(owner_map: dict[str, str]) -> None:
        made = await subscribe(client, system, hubspot(owner_map))
        assert made.status_code == 201, made.text
        gone = await client.delete(
            system.url("sla-monitor", f"{SUBSCRIPTIONS}/{made.json()['id']}"), headers=system.headers
        )
        assert gone.status_code == 204

    await eventually(lambda: subscribed({"rep-amara": "501"}), within=30)  # the roster routing ships
    refused = await subscribe(client, system, hubspot({"rep-amara": "501", rep: "502"}))
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "owner_map", rep]]

    headers = system.headers
    made = await client.put(system.url("routing", f"/v1/teams/{team}"), json={"name": "CRM"}, headers=headers)
    assert made.status_code == 200, made.text
    put = await client.put(
        system.url("routing", f"/v1/reps/{rep}"),
        json={"name": "Cara", "email": "cara@example.com", "team": team},
        headers=headers,
    )
    assert put.status_code == 200, put.text
    await eventually(lambda: subscribed({rep: "502"}), within=30)

    removed = await client.delete(system.url("routing", f"/v1/reps/{rep}"), headers=headers)
    assert removed.status_code == 204

    async def refused_again() -> None:
        answer = await subscribe(client, system, hubspot({rep: "502"}))
        assert answer.status_code == 422, answer.text

    await eventually(refused_again, within=30)


async def test_the_cli_subscribes_a_local_listener_that_verifies_what_arrives(system: System) -> None:
    port = free_port()
    made = system.leadloop_cli(
        "subscriptions", "create", "--url", f"http://127.0.0.1:{port}/hooks", "--event", "lead.qualified"
    )
    assert made.returncode == 0, made.stdout + made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    subscription_id = made.stdout.split("subscription ", 1)[1].split(";", 1)[0]
    listener = system.leadloop_process("subscriptions", "listen", "--secret", secret, "--port", str(port))
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            lead_id = await post_lead(client, system)

            async def delivered() -> None:
                listed = await client.get(
                    system.url("sla-monitor", f"{SUBSCRIPTIONS}/{subscription_id}/deliveries"),
                    params={"status": "delivered"},
                    headers=system.headers,
                )
                assert any(d["lead_id"] == lead_id for d in listed.json())

            await eventually(delivered, within=60)
    finally:
        listener.terminate()
        output, _ = listener.communicate(timeout=10)
    assert "verified" in output
    assert lead_id in output
    assert system.leadloop_cli("subscriptions", "delete", subscription_id).returncode == 0
