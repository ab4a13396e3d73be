"""What a console key without personal data sees of a lead: who brought it, not who it is."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from capture.api.masking import masked
from capture.api.models import LeadRead, TouchRead

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def touch(**overrides: object) -> TouchRead:
    fields: dict[str, object] = {
        "id": uuid4(),
        "occurred_at": NOW,
        "type": "form_submission",
        "via": "form",
        "channel": "paid_search",
        "external_id": None,
        "is_test": False,
        "referrer": "https://www.google.com/",
        "consent_marketing": True,
        "source": "google",
        "medium": "cpc",
        "campaign": "q4-launch",
        "content": "hero",
        "term": "lead routing",
        "gclid": "abc",
        "fbclid": None,
        "form_id": "demo",
        "page_url": "https://acme.io/demo?email=maria%40acme.io#top",
        "submitted": {"email": "maria@acme.io"},
    }
    return TouchRead.model_validate({**fields, **overrides})


def lead() -> LeadRead:
    return LeadRead(
        id=uuid4(),
        company_domain="acme.io",
        erased_at=None,
        email="maria.lopez@acme.io",
        phone="+14155550123",
        first_name="Maria",
        last_name="Lopez",
        company="Acme",
        job_title="VP Marketing",
        company_size="201-500",
        industry="software",
        country="US",
        attributes={"linkedin": "https://linkedin.com/in/maria"},
        created_at=NOW,
        updated_at=NOW,
        touches=[touch(), touch(page_url="https://acme.io/pricing", referrer=None)],
    )


def test_who_the_person_is_is_hidden() -> None:
    seen = masked(lead()).model_dump_json()
    for personal in ["maria.lopez", "Lopez", "Maria", "+14155550123", "linkedin", "maria%40acme.io"]:
        assert personal not in seen


def test_what_brought_the_lead_and_which_company_stay() -> None:
    seen = masked(lead())
    assert seen.email == "m•••@acme.io"
    assert (seen.first_name, seen.last_name, seen.phone) == ("M•••", "L•••", "+•••")
    assert (seen.company, seen.company_domain, seen.job_title) == ("Acme", "acme.io", "VP Marketing")
    first, second = seen.touches
    assert (first.source, first.medium, first.campaign, first.gclid) == ("google", "cpc", "q4-launch", "abc")
    assert first.page_url == "https://acme.io/demo?•••"
    assert first.submitted is None
    assert second.page_url == "https://acme.io/pricing"
