"""Deliveries' pure parts: Standard Webhooks signatures against the specification's published
test vector and the official verifier; the retry schedule; what an answer means; which targets
are refused; filters; payloads; Slack messages; sealed secrets."""

from __future__ import annotations

import ipaddress
import json
import random
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lead_schemas import (
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadQualifiedData,
)
from sla_monitor.delivery.domain import hubspot, salesforce, slack
from sla_monitor.delivery.domain.kinds import subscription_problems
from sla_monitor.delivery.domain.outcomes import Answer, judge
from sla_monitor.delivery.domain.payloads import LeadCard, payload
from sla_monitor.delivery.domain.schedule import SCHEDULE, next_attempt, parse_retry_after
from sla_monitor.delivery.domain.sealing import CannotOpen, Sealer, SealingKeyProblem, new_sealing_key
from sla_monitor.delivery.domain.signing import new_secret, signature_header, webhook_headers
from sla_monitor.delivery.domain.subscriptions import Subscription, filter_problems, normalized_filters
from sla_monitor.delivery.domain.targets import (
    RefusedTarget,
    TargetRules,
    address_problem,
    check_addresses,
    parse_target,
)

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
STRICT = TargetRules()

# the specification's test vector (standard-webhooks, libraries/python/tests: test_sign_function)
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_AT = datetime.fromtimestamp(1614265330, UTC)
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_is_the_specifications_test_vector() -> None:
    assert signature_header([VECTOR_SECRET], message_id=VECTOR_ID, at=VECTOR_AT, body=VECTOR_BODY) == (
        VECTOR_SIGNATURE
    )


def test_the_official_verifier_accepts_what_is_sent_and_refuses_a_changed_body() -> None:
    secret = new_secret()
    body = json.dumps({"type": "lead.qualified", "data": {"name": "Zoë"}}, ensure_ascii=False).encode()
    now = datetime.now(UTC)
    headers = webhook_headers([secret], message_id=str(uuid4()), at=now, body=body)
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers) == {"type": "lead.qualified", "data": {"name": "Zoë"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"Zo", b"Jo"), headers)


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    new, old = new_secret(), new_secret()
    now = datetime.now(UTC)
    headers = webhook_headers([new, old], message_id="msg_1", at=now, body=b"{}")
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(b"{}", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(b"{}", headers)


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert secret != new_secret()
    assert len(__import__("base64").b64decode(secret.removeprefix("whsec_"))) == 32


def test_the_schedule_is_the_specifications_with_bounded_jitter() -> None:
    assert [d.total_seconds() for d in SCHEDULE] == [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    rng = random.Random(7)
    for attempts in range(1, len(SCHEDULE)):
        when = next_attempt(attempts, NOW, rng=rng)
        assert when is not None
        expected = SCHEDULE[attempts]
        assert expected * 0.8 <= when - NOW <= expected * 1.2
    assert next_attempt(len(SCHEDULE), NOW) is None  # ten attempts, then parked


def test_retry_after_is_read_as_seconds_or_a_date_and_honoured() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Wed, 02 Dec 2026 09:05:00 GMT", NOW) == timedelta(minutes=5)
    assert parse_retry_after("soon", NOW) is None
    assert next_attempt(1, NOW, retry_after=timedelta(seconds=120)) == NOW + timedelta(seconds=120)
    assert next_attempt(1, NOW, retry_after=timedelta(days=9)) == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (301, "retry"),
        (404, "retry"),
        (500, "retry"),
        (410, "disable"),
    ],
)
def test_only_2xx_delivers_and_410_disables(status: int, verdict: str) -> None:
    assert judge(Answer(status), attempts=1, now=NOW, failing_since=None).verdict == verdict


def test_a_redirect_is_named_as_not_followed() -> None:
    found = judge(Answer(302), attempts=1, now=NOW, failing_since=None)
    assert found.reason is not None
    assert "redirects are not followed" in found.reason


def test_429_backs_off_by_retry_after_and_500_by_the_schedule() -> None:
    wait = timedelta(seconds=42)
    assert judge(Answer(429, retry_after=wait), attempts=1, now=NOW, failing_since=None).next_attempt_at == (
        NOW + wait
    )
    plain = judge(Answer(500, retry_after=wait), attempts=1, now=NOW, failing_since=None).next_attempt_at
    assert plain is not None
    assert plain - NOW <= timedelta(seconds=6)


def test_the_tenth_failure_parks_and_five_failing_days_disable() -> None:
    assert judge(Answer(None, "no answer"), attempts=10, now=NOW, failing_since=None).verdict == "failed"
    days = judge(Answer(503), attempts=3, now=NOW, failing_since=NOW - timedelta(days=5))
    assert days.verdict == "disable"
    assert days.reason is not None
    assert "5 days" in days.reason


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/",
        "https://user:pass@example.com/",
        "https:///nohost",
        "not a url",
        "https://example.com:99999/",
    ],
)
def test_a_url_that_may_not_receive_deliveries_is_refused(url: str) -> None:
    with pytest.raises(RefusedTarget):
        parse_target(url, STRICT)


def test_http_only_where_allowed() -> None:
    assert parse_target("http://example.com/x?y=1", TargetRules(allow_http=True)).path == "/x?y=1"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "240.0.0.1",
    ],
)
def test_no_address_that_is_not_public(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address), STRICT) is not None


def test_public_addresses_pass_and_an_allow_list_opens_a_private_one() -> None:
    assert address_problem(ipaddress.ip_address("93.184.215.14"), STRICT) is None
    assert address_problem(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"), STRICT) is None
    local = TargetRules.of(allow_http=True, allowed=["127.0.0.1/32"])
    assert address_problem(ipaddress.ip_address("127.0.0.1"), local) is None
    assert address_problem(ipaddress.ip_address("127.0.0.2"), local) is not None


def test_one_private_answer_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(RefusedTarget, match=r"10\.0\.0\.5"):
        check_addresses("rebind.example", ["93.184.215.14", "10.0.0.5"], STRICT)
    with pytest.raises(RefusedTarget, match="no address"):
        check_addresses("void.example", [], STRICT)


def test_filters_are_known_keys_with_values_and_every_one_must_hold() -> None:
    assert filter_problems({"team": "emea", "grade": ["A", "B"]}) == []
    assert [key for key, _ in filter_problems({"colour": "red", "team": [], "owner": [1]})] == [
        "colour",
        "team",
        "owner",
    ]
    sub = Subscription(
        id=uuid4(),
        kind="webhook",
        url="https://example.com",
        event_types=frozenset({"lead.qualified"}),
        filters=normalized_filters({"grade": ["B", "A"], "team": "emea"}),
    )
    assert sub.wants("lead.qualified", {"grade": "A", "team": "emea"})
    assert not sub.wants("lead.qualified", {"grade": "C", "team": "emea"})
    assert not sub.wants("lead.qualified", {"grade": "A"})  # a fact the lead lacks matches nothing
    assert not sub.wants("lead.progressed", {"grade": "A", "team": "emea"})


def qualified() -> LeadQualified:
    return LeadQualified.new(
        producer="routing",
        lead_id=uuid4(),
        correlation_id=uuid4(),
        occurred_at=NOW,
        data=LeadQualifiedData(
            owner="amara",
            owner_name="Amara Okafor",
            owner_email="amara@example.com",
            reason="score 82; rule emea: round robin",
            rule="emea",
            score=82,
            grade="A",
            assignment=1,
            team="emea",
            source="google",
            country="DE",
            region="emea",
        ),
    )


CARD = LeadCard(
    person={
        "email": "dana@northwind.example",
        "first_name": "Dana",
        "last_name": "Reyes",
        "company": "Northwind",
        "job_title": "VP Sales",
        "phone": "+4930123456",
    },
    first_touch={"occurred_at": "2026-11-30T10:00:00+00:00", "source": "linkedin", "medium": "paid_social"},
    latest_touch={
        "occurred_at": "2026-12-02T08:59:00+00:00",
        "source": "google",
        "medium": "cpc",
        "campaign": "brand",
    },
    score=82,
    grade="A",
    reasons=({"rule_id": "vp-title", "description": "VP or above", "points": 30},),
)


def test_a_qualified_lead_carries_what_a_crm_record_needs() -> None:
    event = qualified()
    body = payload(event, CARD)
    assert (body["type"], body["timestamp"]) == ("lead.qualified", NOW.isoformat())
    data = body["data"]
    assert data["lead_id"] == str(event.lead_id)
    assert data["person"]["email"] == "dana@northwind.example"
    assert data["person"]["job_title"] == "VP Sales"
    assert data["owner"] == {"id": "amara", "name": "Amara Okafor", "email": "amara@example.com"}
    assert (data["score"], data["grade"], data["team"]) == (82, "A", "emea")
    assert data["reasons"][0]["rule_id"] == "vp-title"
    assert data["first_touch"]["source"] == "linkedin"
    assert data["latest_touch"]["campaign"] == "brand"
    assert data["routing"]["reason"].startswith("score 82")


def test_other_events_carry_their_data_and_the_leads_identity() -> None:
    event = LeadProgressed.new(
        producer="sla-monitor",
        lead_id=uuid4(),
        correlation_id=uuid4(),
        occurred_at=NOW,
        data=LeadProgressedData(stage="accepted", owner="amara"),
    )
    data = payload(event, CARD)["data"]
    assert data["stage"] == "accepted"
    assert data["lead"] == {
        "email": "dana@northwind.example",
        "first_name": "Dana",
        "last_name": "Reyes",
        "company": "Northwind",
    }
    assert "phone" not in data["lead"]


def test_the_slack_message_names_grade_owner_person_and_origin_escaped() -> None:
    text = slack.message(payload(qualified(), CARD))["text"]
    assert text == "New A-grade lead for Amara Okafor: Dana Reyes, VP Sales at Northwind (google / cpc)"
    tricky = LeadCard(person={"first_name": "<script>", "company": "A&B"})
    assert slack.message(payload(qualified(), tricky))["text"].startswith(
        "New A-grade lead for Amara Okafor: &lt;script&gt; at A&amp;B"
    )


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_subscription() -> None:
    sealer = Sealer(new_sealing_key())
    sealed = sealer.seal("whsec_abc", bound_to="sub-1")
    assert b"whsec_abc" not in sealed
    assert sealer.open(sealed, bound_to="sub-1") == "whsec_abc"
    with pytest.raises(CannotOpen):
        sealer.open(sealed, bound_to="sub-2")
    with pytest.raises(CannotOpen):
        Sealer(new_sealing_key()).open(sealed, bound_to="sub-1")
    with pytest.raises(SealingKeyProblem):
        Sealer("c2hvcnQ=")


def test_each_kind_needs_its_fields_and_nothing_else() -> None:
    def places(**given: object) -> list[tuple[str | int, ...]]:
        fields: dict[str, object] = {
            "kind": "webhook",
            "url": "https://x.example",
            "event_types": ["lead.qualified"],
            "token": None,
            "client_id": None,
            "client_secret": None,
            "owner_map": {},
        }
        return [loc for loc, _ in subscription_problems(**(fields | given))]  # type: ignore[arg-type]

    assert places() == []
    assert places(kind="hubspot", url=None, token="pat") == []
    assert places(kind="hubspot", url=None) == [("token",)]
    assert places(kind="hubspot", token="pat", event_types=["lead.progressed"]) == [("event_types", 0)]
    assert places(kind="hubspot", token="pat", owner_map={"amara": "ann@x"}) == [("owner_map", "amara")]
    assert places(kind="salesforce", client_id="id") == [("client_secret",)]
    assert (
        places(kind="salesforce", client_id="i", client_secret="s", owner_map={"amara": "005000000000001"})
        == []
    )
    assert places(kind="salesforce", client_id="i", client_secret="s", owner_map={"amara": "00Q1"}) == [
        ("owner_map", "amara")
    ]
    assert places(url=None) == [("url",)]
    assert places(token="pat", owner_map={"a": "1"}) == [("token",), ("owner_map",)]


def test_hubspot_upserts_by_email_with_the_mapped_owner_and_associates_the_lead() -> None:
    body = payload(qualified(), CARD)
    upsert = hubspot.contact_upsert(body, {"amara": "501"})
    assert upsert is not None
    (item,) = upsert["inputs"]
    assert (item["idProperty"], item["id"]) == ("email", "dana@northwind.example")
    assert item["properties"]["hubspot_owner_id"] == "501"
    assert item["properties"]["jobtitle"] == "VP Sales"
    lead = hubspot.lead_create(body, "1001", {"amara": "501"})
    assert lead["properties"] == {"hs_lead_name": "Dana Reyes", "hubspot_owner_id": "501"}
    assert lead["associations"] == [
        {
            "to": {"id": "1001"},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
        }
    ]
    assert (
        hubspot.contact_upsert(payload(qualified(), LeadCard()), {}) is None
    )  # no email: nothing to upsert by


def test_salesforce_leads_carry_what_salesforce_requires_and_never_let_its_rules_assign() -> None:
    fields = salesforce.lead_fields(payload(qualified(), LeadCard(person={"email": "x@y.example"})), {})
    assert (fields["LastName"], fields["Company"]) == ("x@y.example", "[not provided]")
    assert salesforce.headers("tok")["Sforce-Auto-Assign"] == "FALSE"
    refused = [
        {
            "message": "Required fields are missing: [Company]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Company"],
        }
    ]
    assert (
        salesforce.refusal(refused)
        == "REQUIRED_FIELD_MISSING: Required fields are missing: [Company] (Company)"
    )
