from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from capture.api.models import LeadCreate


def _error_fields(payload: dict[str, object]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        LeadCreate.model_validate(payload)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


def test_fields_are_normalized_and_unknown_fields_kept() -> None:
    lead = LeadCreate.model_validate(
        {
            "email": " Ada@Example.com",
            "phone": "020 7946 0958",
            "country": "gb",
            "first_name": " Ada ",
            "favourite_colour": "green",
        }
    )
    assert (lead.email, lead.phone, lead.country, lead.first_name) == (
        "ada@example.com",
        "+442079460958",
        "GB",
        "Ada",
    )
    assert lead.custom_attributes() == {"favourite_colour": "green"}


def test_a_bad_email_and_a_bad_phone_are_each_named() -> None:
    assert _error_fields({"email": "nope", "phone": "12"}) == {"email", "phone"}


def test_an_email_or_a_phone_is_required() -> None:
    with pytest.raises(ValidationError, match="an email or a phone is required"):
        LeadCreate.model_validate({"first_name": "Ada", "email": "  "})


def test_a_phone_alone_is_enough() -> None:
    assert LeadCreate.model_validate({"phone": "+4930901820"}).email is None


def test_occurred_at_must_carry_a_time_zone() -> None:
    assert _error_fields({"email": "a@example.com", "occurred_at": "2026-01-01T10:00:00"}) == {"occurred_at"}


def test_occurred_at_may_not_lie_in_the_future_beyond_clock_skew() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=1)
    later = datetime.now(UTC) + timedelta(hours=1)
    assert LeadCreate.model_validate({"email": "a@example.com", "occurred_at": soon}).occurred_at == soon
    assert _error_fields({"email": "a@example.com", "occurred_at": later.isoformat()}) == {"occurred_at"}


def test_every_text_field_is_trimmed_and_an_empty_one_is_none() -> None:
    lead = LeadCreate.model_validate(
        {
            "email": "a@example.com",
            "msclkid": "  m-1 ",
            "li_fat_id": "   ",
            "referrer": " https://news.example/ ",
            "consent_text": "  Send me   news ",
        }
    )
    assert (lead.msclkid, lead.li_fat_id, lead.referrer, lead.consent_text) == (
        "m-1",
        None,
        "https://news.example/",
        "Send me news",
    )


@pytest.mark.parametrize(
    ("sent", "band"),
    [(250, "201-500"), ("250", "201-500"), (250.0, "201-500"), (12000, "10001+"), ("201-500", "201-500")],
)
def test_company_size_is_read_from_json_numbers_and_numeric_strings(sent: object, band: str) -> None:
    assert LeadCreate.model_validate({"email": "a@corp.example", "company_size": sent}).company_size == band


@pytest.mark.parametrize("sent", [True, -5, 12.5])
def test_company_size_that_is_no_head_count_is_refused_by_name(sent: object) -> None:
    with pytest.raises(ValidationError) as caught:
        LeadCreate.model_validate({"email": "a@corp.example", "company_size": sent})
    assert [error["loc"] for error in caught.value.errors()] == [("company_size",)]
