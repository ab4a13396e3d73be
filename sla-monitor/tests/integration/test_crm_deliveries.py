"""The HubSpot and Salesforce adapters against stand-ins that check requests the way each vendor
does (tests/crm_standins.py), through the delivery worker on the real database: a qualified lead
becomes the CRM's record with the mapped owner, a reassignment updates the same record, an expired
token is renewed, HubSpot's 429 is waited out, and a record Salesforce refuses (a duplicate rule)
is parked with Salesforce's own words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from delivery_events import NOW, announce, captured, consume, qualified, rep_changed

from leadkit.db import Pool
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.db.crm_records import record_of
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import NewSubscription, create_subscription
from sla_monitor.delivery.workers import DeliveryWorker
from tests.crm_standins import HubSpotStandIn, SalesforceStandIn
from tests.receiver import served


@pytest.fixture
async def hubspot() -> AsyncIterator[HubSpotStandIn]:
    async with served(HubSpotStandIn()) as found:
        yield found


@pytest.fixture
async def salesforce() -> AsyncIterator[SalesforceStandIn]:
    async with served(SalesforceStandIn()) as found:
        yield found


async def subscribe(pool: Pool, send: Sending, new: NewSubscription) -> UUID:
    """Subscribed once routing has announced the reps its owner map names."""
    await announce(pool, *(rep_changed(rep_id) for rep_id in new.owner_map))
    async with pool.acquire() as conn:
        stored, _ = await create_subscription(conn, send, new, NOW)
    return stored.subscription.id


async def drain(pool: Pool, send: Sending, subscription_id: UUID, at: datetime = NOW) -> None:
    worker = DeliveryWorker(pool, send, lambda: at, only=[subscription_id])
    while await worker.round():
        pass


async def test_hubspot_gets_a_contact_and_a_lead_with_the_mapped_owner_then_a_reassignment(
    pool: Pool, sender: Sending, hubspot: HubSpotStandIn
) -> None:
    subscription_id = await subscribe(
        pool,
        sender,
        NewSubscription(
            "hubspot",
            hubspot.base,
            ["lead.qualified"],
            {},
            "HubSpot",
            {"token": hubspot.token},
            {"amara": "501", "ben": "502"},
        ),
    )
    lead_id = uuid4()
    await consume(pool, [captured(lead_id, "Dana"), qualified(lead_id, "amara")])
    await drain(pool, sender, subscription_id)
    contact = hubspot.contacts["dana@northwind.example"]
    assert contact["properties"]["firstname"] == "Dana"
    assert contact["properties"]["hubspot_owner_id"] == "501"
    ((hubspot_lead_id, lead),) = hubspot.leads.items()
    assert lead["contact"] == contact["id"]
    assert lead["properties"] == {"hs_lead_name": "Dana", "hubspot_owner_id": "501"}

    await consume(pool, [qualified(lead_id, "ben", at=NOW + timedelta(minutes=30))])  # reassigned
    await drain(pool, sender, subscription_id)
    assert list(hubspot.leads) == [hubspot_lead_id]  # the same record, updated
    assert hubspot.leads[hubspot_lead_id]["properties"]["hubspot_owner_id"] == "502"
    assert hubspot.contacts["dana@northwind.example"]["properties"]["hubspot_owner_id"] == "502"
    async with pool.acquire() as conn:
        record = await record_of(conn, subscription_id, lead_id)
        listed = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=9)
        await subscriptions.delete_subscription(conn, subscription_id)
    assert record is not None
    assert (record.record_id, record.related_id) == (contact["id"], hubspot_lead_id)
    assert {d.status for d in listed} == {"delivered"}
    assert {d.external_id for d in listed} == {hubspot_lead_id}


async def test_hubspots_429_is_waited_out(pool: Pool, sender: Sending, hubspot: HubSpotStandIn) -> None:
    hubspot.limit_per_10_seconds = 0  # every request is over the limit
    subscription_id = await subscribe(
        pool,
        sender,
        NewSubscription("hubspot", hubspot.base, ["lead.qualified"], {}, "", {"token": hubspot.token}),
    )
    lead_id = uuid4()
    await consume(pool, [captured(lead_id, "Eve"), qualified(lead_id, "amara")])
    await drain(pool, sender, subscription_id)
    async with pool.acquire() as conn:
        (waiting,) = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=9)
    assert (waiting.status, waiting.last_status) == ("pending", 429)
    hubspot.limit_per_10_seconds = 100
    await drain(pool, sender, subscription_id, NOW + timedelta(seconds=10))
    assert "eve@northwind.example" in hubspot.contacts
    async with pool.acquire() as conn:
        await subscriptions.delete_subscription(conn, subscription_id)


async def test_salesforce_gets_a_lead_its_assignment_rules_leave_alone_and_a_renewed_token(
    pool: Pool, sender: Sending, salesforce: SalesforceStandIn
) -> None:
    owner_id = "005000000000001AAA"
    subscription_id = await subscribe(
        pool,
        sender,
        NewSubscription(
            "salesforce",
            salesforce.base,
            ["lead.qualified"],
            {},
            "Salesforce",
            {"client_id": salesforce.client_id, "client_secret": salesforce.client_secret},
            {"amara": owner_id},
        ),
    )
    lead_id = uuid4()
    await consume(pool, [captured(lead_id, "Fay"), qualified(lead_id, "amara")])
    await drain(pool, sender, subscription_id)
    ((record_id, lead),) = salesforce.leads.items()
    assert (lead["FirstName"], lead["Company"], lead["Email"], lead["LeadSource"]) == (
        "Fay",
        "Northwind",
        "fay@northwind.example",
        "google",
    )
    assert lead["OwnerId"] == owner_id  # not the org's assignment rule's
    api_calls = [r for r in salesforce.received if "/sobjects/" in r.path]
    assert all(r.headers["sforce-auto-assign"] == "FALSE" for r in api_calls)

    salesforce.expire_tokens()
    await consume(pool, [qualified(lead_id, "ben", at=NOW + timedelta(minutes=5))])
    await drain(pool, sender, subscription_id)
    assert list(salesforce.leads) == [record_id]  # the same Lead, updated
    assert [r.path for r in salesforce.received].count("/services/oauth2/token") == 2
    async with pool.acquire() as conn:
        listed = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=9)
        await subscriptions.delete_subscription(conn, subscription_id)
    assert {d.status for d in listed} == {"delivered"}
    secret_seen = [r for r in salesforce.received if salesforce.client_secret.encode() in r.body]
    assert [r.path for r in secret_seen] == ["/services/oauth2/token"] * 2  # only ever sent for a token


async def test_a_lead_salesforce_refuses_is_parked_with_salesforces_words(
    pool: Pool, sender: Sending, salesforce: SalesforceStandIn
) -> None:
    salesforce.leads["00Qexisting"] = {"Email": "gus@northwind.example"}  # its duplicate rule's match
    subscription_id = await subscribe(
        pool,
        sender,
        NewSubscription(
            "salesforce",
            salesforce.base,
            ["lead.qualified"],
            {},
            "",
            {"client_id": salesforce.client_id, "client_secret": salesforce.client_secret},
        ),
    )
    lead_id = uuid4()
    await consume(pool, [captured(lead_id, "Gus"), qualified(lead_id, "amara")])
    await drain(pool, sender, subscription_id)
    async with pool.acquire() as conn:
        (parked,) = await deliveries.deliveries_of(conn, subscription_id, status=None, before=None, limit=9)
        await subscriptions.delete_subscription(conn, subscription_id)
    assert (parked.status, parked.attempts, parked.last_status) == ("failed", 1, 400)
    assert "DUPLICATES_DETECTED: You're creating a duplicate record" in (parked.last_error or "")
