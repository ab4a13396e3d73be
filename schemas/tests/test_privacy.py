"""History twins: the same events without a trace of the person (DESIGN.md, invariant 10)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from lead_schemas import LeadCaptured, LeadProfile, LeadScored, Person, Touch
from lead_schemas.events import Consent
from lead_schemas.privacy import history_twin, twin_id, without_query

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
IDENTIFIERS = [
    "dana.reyes@northwind.example",
    "+14155550123",
    "Dana",
    "Reyes",
    "Northwind Traders",
    "VP Sales",
    "northwind.example",
    "gclid-7f3a",
    "fbclid-19c2",
    "lead-at-meta-881",
    "secret-attribute",
    "I agree, Dana",
    "dana reyes",
]


def captured() -> LeadCaptured:
    touch = Touch(
        id="t1",
        occurred_at=AT,
        source="google",
        medium="cpc",
        campaign="brand",
        content="ad-a",
        term="dana reyes northwind",
        gclid="gclid-7f3a",
        fbclid="fbclid-19c2",
        external_id="lead-at-meta-881",
        page_url="https://www.example.com/demo?email=dana.reyes%40northwind.example&x=1#top",
        referrer="https://mail.example/?to=dana.reyes@northwind.example",
        consent=Consent(marketing=True, text="I agree, Dana"),
    )
    person = Person(
        email="dana.reyes@northwind.example",
        phone="+14155550123",
        first_name="Dana",
        last_name="Reyes",
        company="Northwind Traders",
        job_title="VP Sales",
        company_size="201-500",
        industry="Software",
        country="US",
        company_domain="northwind.example",
        attributes={"note": "secret-attribute"},
    )
    return LeadCaptured.new(
        producer="capture",
        lead_id=uuid4(),
        correlation_id=uuid4(),
        occurred_at=AT,
        data={"is_new": True, "person": person, "touch": touch, "first_touch": touch},
    )


def test_a_captured_twin_keeps_the_touch_and_firmographics_and_nothing_personal() -> None:
    event = captured()
    twin = history_twin(event)
    assert isinstance(twin, LeadCaptured)
    text = twin.model_dump_json()
    assert [found for found in IDENTIFIERS if found.lower() in text.lower()] == []
    assert (twin.id, twin.type, twin.lead_id) == (twin_id(event.id), "lead.captured", event.lead_id)
    touch = twin.data.touch
    assert (touch.source, touch.medium, touch.campaign, touch.content) == ("google", "cpc", "brand", "ad-a")
    assert touch.page_url == "https://www.example.com/demo"
    assert touch.consent is not None
    assert touch.consent.marketing is True
    person = twin.data.person
    assert (person.company_size, person.industry, person.country) == ("201-500", "Software", "US")


def test_a_scored_twin_keeps_the_score_and_drops_the_profile_s_personal_fields() -> None:
    profile = LeadProfile(
        company="Northwind Traders",
        company_domain="northwind.example",
        job_title="VP Sales",
        attributes={"note": "secret-attribute"},
        country="US",
        source="google",
    )
    event = LeadScored.new(
        producer="scoring",
        lead_id=uuid4(),
        correlation_id=uuid4(),
        occurred_at=AT,
        data={
            "score": 80,
            "grade": "A",
            "fit_score": 50,
            "engagement_score": 30,
            "model_version": "1",
            "reasons": [],
            "lead": profile,
        },
    )
    twin = history_twin(event)
    assert isinstance(twin, LeadScored)
    assert [found for found in IDENTIFIERS if found in twin.model_dump_json()] == []
    assert (twin.data.score, twin.data.grade) == (80, "A")
    assert twin.data.lead is not None
    assert (twin.data.lead.country, twin.data.lead.source) == ("US", "google")


def test_a_url_keeps_its_scheme_host_and_path_only() -> None:
    assert without_query("https://user:pw@shop.example:8443/a/b?q=1#f") == "https://shop.example/a/b"
    assert without_query("not a url with dana@example.com") is None
    assert without_query(None) is None
