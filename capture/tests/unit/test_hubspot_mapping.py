"""HubSpot Forms API v3 submissions, shaped as HubSpot's documentation shows them."""

from datetime import UTC, datetime

from capture.domain.hubspot import hubspot_submission, submitted_at

DOCUMENTED_FIELDS = [  # the Forms API v3 example: contact properties by their internal names
    ("email", "example@example.com"),
    ("firstname", "Jeff"),
    ("lastname", "Example"),
    ("mobilephone", "+1 617 555 0100"),
    ("jobtitle", "VP Marketing"),
    ("numemployees", "201-500"),
    ("how_did_you_hear_about_us", "Podcast"),
    ("utm_campaign", "spring-webinar"),
]
DOCUMENTED_CONTEXT = {
    "hutk": "ee6b6c7ffd3a3c4bb5ed8ba4e8ce7e5a",
    "pageUri": "www.example.com/page?utm_source=newsletter&utm_medium=email",
    "pageName": "Example page",
}
DOCUMENTED_CONSENT = {
    "consent": {
        "consentToProcess": True,
        "text": "I agree to allow Example Company to store and process my personal data.",
        "communications": [
            {"value": True, "subscriptionTypeId": 999, "text": "I agree to receive marketing communications."}
        ],
    }
}


def test_contact_properties_map_to_leadloop_fields_and_the_rest_are_kept() -> None:
    mapped = hubspot_submission(
        fields=DOCUMENTED_FIELDS,
        context=DOCUMENTED_CONTEXT,
        consent_options=DOCUMENTED_CONSENT,
        portal_id="123",
    )
    assert mapped.fields == {
        "email": "example@example.com",
        "first_name": "Jeff",
        "last_name": "Example",
        "phone": "+1 617 555 0100",
        "job_title": "VP Marketing",
        "company_size": "201-500",
        "utm_campaign": "spring-webinar",
        "page_url": "www.example.com/page?utm_source=newsletter&utm_medium=email",
        "consent": True,
        "consent_text": "I agree to allow Example Company to store and process my personal data. | "
        "I agree to receive marketing communications.",
    }
    assert mapped.attributes == {
        "hubspot_portal_id": "123",
        "how_did_you_hear_about_us": "Podcast",
        "page_name": "Example page",
        "hubspot_utk": "ee6b6c7ffd3a3c4bb5ed8ba4e8ce7e5a",
    }


def test_phone_wins_over_mobilephone_when_both_come_first_value_wins() -> None:
    mapped = hubspot_submission(
        fields=[("phone", "+44 20 7946 0958"), ("mobilephone", "+1 617 555 0100"), ("email", "")],
        context={},
        consent_options={},
        portal_id="1",
    )
    assert mapped.fields["phone"] == "+44 20 7946 0958"


def test_consent_is_a_ticked_subscription_or_a_legitimate_interest() -> None:
    unticked = {"consent": {"communications": [{"value": False, "text": "News"}]}}
    interest = {"legitimateInterest": {"value": True, "legalBasis": "LEAD", "text": "Legitimate interest"}}

    def consent_of(options: dict[str, object]) -> object:
        return hubspot_submission(fields=[], context={}, consent_options=options, portal_id="1").fields.get(
            "consent"
        )

    assert consent_of(unticked) is False
    assert consent_of(interest) is True
    assert consent_of({}) is None


def test_submitted_at_is_milliseconds_since_the_epoch() -> None:
    assert submitted_at(1517927174000) == datetime(2018, 2, 6, 14, 26, 14, tzinfo=UTC)
    assert submitted_at(None) is None
