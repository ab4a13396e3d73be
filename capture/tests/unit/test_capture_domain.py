from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture.api.models import LeadCreate
from capture.domain.channel import derive_channel
from capture.domain.normalize import company_domain, company_size_band, normalize_country, url_parameters
from capture.domain.platforms import (
    google_lead,
    linkedin_form_id,
    linkedin_lead,
    linkedin_notice,
    meta_lead,
    meta_notices,
)
from capture.domain.signatures import (
    is_linkedin_challenge_code,
    linkedin_challenge_response,
    linkedin_signature_matches,
    meta_signature_matches,
)
from capture.domain.spam import spam_reason
from capture.domain.submission import build_submission
from leadkit.rate_limit import RateLimiter, TokenBucket


@pytest.mark.parametrize(
    ("kwargs", "channel"),
    [
        ({"source": "google", "medium": "cpc"}, "paid_search"),
        ({"source": "bing", "medium": None, "msclkid": "m1"}, "paid_search"),
        ({"source": "linkedin", "medium": "paid_social"}, "paid_social"),
        ({"source": "facebook", "medium": "cpm"}, "paid_social"),
        ({"source": "facebook", "medium": "paid", "fbclid": "f"}, "paid_social"),
        ({"source": "adroll", "medium": "display"}, "display"),
        ({"source": "newsletter", "medium": "email"}, "email"),
        ({"source": "partner-hub", "medium": "partner"}, "partner"),
        ({"source": "webinar", "medium": "event"}, "events"),
        ({"source": "linkedin", "medium": None}, "organic_social"),
        ({"source": None, "medium": None, "referrer": "https://www.google.de/"}, "organic_search"),
        ({"source": "google", "medium": "organic"}, "organic_search"),
        ({"source": None, "medium": None, "referrer": "https://blog.example.org/post"}, "referral"),
        ({"source": None, "medium": None}, "direct"),
        (
            {
                "source": None,
                "medium": None,
                "referrer": "https://www.example.com/a",
                "own_host": "example.com",
            },
            "direct",
        ),
        ({"source": "tv", "medium": "broadcast"}, "other"),
    ],
)
def test_channel_table(kwargs: dict[str, str | None], channel: str) -> None:
    assert derive_channel(**kwargs) == channel  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "band"),
    [
        ("7", "1-10"),
        ("250", "201-500"),
        ("51-200", "51-200"),
        ("1,500", "1001-5000"),
        ("12k", "10001+"),
        ("Enterprise", "Enterprise"),
        ("", None),
    ],
)
def test_company_size_bands(raw: str, band: str | None) -> None:
    assert company_size_band(raw) == band


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("united states", "US"),
        ("USA", "US"),
        ("Deutschland", "DE"),
    ],
)
def test_countries_by_code_or_name(raw: str, code: str) -> None:
    assert normalize_country(raw) == code


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="not a country"):
        normalize_country("Atlantis")


def test_company_domain_leaves_out_free_mail_and_disposable() -> None:
    assert company_domain("ada@analytical.example") == "analytical.example"
    assert company_domain("ada@gmail.com") is None
    assert company_domain("bot@mailinator.com") is None


def test_utms_come_from_the_page_url_when_the_fields_are_absent() -> None:
    assert url_parameters("https://x.example/p?utm_source=google&utm_medium=cpc&gclid=G&other=1") == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "gclid": "G",
    }
    fields = {
        "email": "a@x.example",
        "utm_source": "newsletter",
        "page_url": "https://x.example/?utm_source=google&utm_campaign=q4",
    }
    touch = build_submission(fields, via="api").touch
    assert (touch.source, touch.campaign, touch.channel) == ("newsletter", "q4", "other")


def test_spam_reasons() -> None:
    assert spam_reason(email="a@corp.example", honeypot="http://spam") == "honeypot"
    assert spam_reason(email="bot@mailinator.com") == "disposable_email"
    assert spam_reason(email="a@corp.example", honeypot="") is None


def test_meta_signs_the_raw_body_behind_sha256() -> None:
    body = b'{"entry": []}'
    # printf '%s' '{"entry": []}' | openssl dgst -sha256 -hmac s3cret
    digest = "8680d1574244f02d5d3b06c8f536b16f51509f99e98cd8b5fd1c3a46e240ae54"
    assert meta_signature_matches(secret="s3cret", body=body, header=f"sha256={digest}")
    assert meta_signature_matches(secret="s3cret", body=body, header=f"sha256={digest.upper()}")
    assert not meta_signature_matches(secret="s3cret", body=body, header=digest)  # Meta always prefixes
    assert not meta_signature_matches(secret="s3cret", body=body + b" ", header=f"sha256={digest}")
    assert not meta_signature_matches(secret="", body=body, header=f"sha256={digest}")
    assert not meta_signature_matches(secret="s3cret", body=body, header=None)


# LinkedIn's documented scheme: X-LI-Signature is the hex HMAC-SHA256, keyed with the client
# secret, of "hmacsha256=" followed by the raw body. Vectors computed outside this code:
#   printf '%s' 'hmacsha256=<body>' | openssl dgst -sha256 -hmac li-client-secret
LINKEDIN_BODY = (
    b'{"type":"LEAD_ACTION","leadGenFormResponse":"urn:li:leadGenFormResponse:abc","leadAction":"CREATED"}'
)
LINKEDIN_SIGNATURE = "a0bbb0a4e60cd39ed7f5cf2bd8afc925b21d99948d09954de78c96a79038ab73"
# the same body signed without the prefix: what the landed code wrongly expected
LINKEDIN_BODY_ALONE = "a3f03f4007c2b9fe6323aa46f48a5e802531f1d40a0f78aebb0c0bb62508be6c"


def test_linkedin_signs_the_body_prefixed_by_hmacsha256() -> None:
    secret = "li-client-secret"
    assert linkedin_signature_matches(secret=secret, body=LINKEDIN_BODY, header=LINKEDIN_SIGNATURE)
    assert not linkedin_signature_matches(secret=secret, body=LINKEDIN_BODY, header=LINKEDIN_BODY_ALONE)
    assert not linkedin_signature_matches(secret=secret, body=LINKEDIN_BODY + b" ", header=LINKEDIN_SIGNATURE)
    assert not linkedin_signature_matches(secret="", body=LINKEDIN_BODY, header=LINKEDIN_SIGNATURE)


def test_linkedin_challenge_answers_only_uuids() -> None:
    # printf '%s' f1c1e3a0-6b7c-4f0e-9a55-2d1e0c3b7a91 | openssl dgst -sha256 -hmac li-client-secret
    code = "f1c1e3a0-6b7c-4f0e-9a55-2d1e0c3b7a91"
    expected = "ca3454a5d45ef6e4d090e1c3d7ae96f23b90417eb60252646303a57e93f9c370"
    assert linkedin_challenge_response("li-client-secret", code) == expected
    for not_a_code in (
        "",
        "890e4665-4dfe-4ab1",
        "hmacsha256=" + LINKEDIN_BODY.decode(),
        LINKEDIN_BODY.decode(),
        "{" + code + "}",
        "urn:uuid:" + code,
        code.replace("-", ""),
        code + "\n",
    ):
        assert not is_linkedin_challenge_code(not_a_code)
        with pytest.raises(ValueError, match="UUID"):
            linkedin_challenge_response("li-client-secret", not_a_code)


@given(code=st.uuids())
def test_no_challenge_answer_is_a_notification_signature(code: UUID) -> None:
    """The endpoint signs only UUIDs; a notification's signed message starts with "hmacsha256=",
    so the two can never share an HMAC input under the one secret."""
    text = str(code)
    answer = linkedin_challenge_response("li-client-secret", text)
    assert not linkedin_signature_matches(secret="li-client-secret", body=text.encode(), header=answer)
    assert not text.encode().startswith(b"hmacsha256=")


def test_a_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2, burst=3, tokens=3, updated=0)
    assert [bucket.take(0) for _ in range(3)] == [0, 0, 0]
    assert bucket.take(0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0


def test_a_limiter_keeps_keys_apart_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_keys=2)
    assert limiter.retry_after("a", 0) == 0
    assert limiter.retry_after("a", 0.1) == 1
    assert limiter.retry_after("b", 0.1) == 0


# Sample payloads shaped as in each platform's documentation.
GOOGLE_SAMPLE = {
    "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEe",
    "user_column_data": [
        {"column_name": "Full Name", "string_value": "FirstName LastName", "column_id": "FULL_NAME"},
        {"column_name": "User Phone", "string_value": "+16505550123", "column_id": "PHONE_NUMBER"},
        {"column_name": "User Email", "string_value": "test@example.com", "column_id": "EMAIL"},
        {
            "column_name": "What is your preferred dealership?",
            "string_value": "Downtown",
            "column_id": "dealer_q",
        },
    ],
    "api_version": "1.0",
    "form_id": 40000000000,
    "campaign_id": 20000000000,
    "google_key": "secret",
    "is_test": True,
    "gcl_id": "TeSter-123-gclid",
    "adgroup_id": 20000000000,
    "creative_id": 30000000000,
}


def test_google_columns_map_by_id_and_custom_questions_are_kept() -> None:
    data = google_lead(GOOGLE_SAMPLE)
    assert data.is_test is True
    assert data.fields["email"] == "test@example.com"
    assert (data.fields["first_name"], data.fields["last_name"]) == ("FirstName", "LastName")
    assert data.fields["phone"] == "+16505550123"
    assert (data.fields["utm_campaign"], data.fields["utm_content"]) == ("20000000000", "30000000000")
    assert data.attributes["what_is_your_preferred_dealership"] == "Downtown"
    assert "google_key" not in {**data.fields, **data.attributes}


def test_meta_notifications_with_several_entries_and_wide_numeric_ids() -> None:
    payload = {
        "object": "page",
        "entry": [
            {
                "id": "444444444444",
                "time": 1502902860,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "444444444",
                            "form_id": "444444444444",
                            "leadgen_id": "444444444444",
                            "created_time": 1502902860,
                            "page_id": "444444444444",
                            "adgroup_id": "44444444444",
                        },
                    },
                    {"field": "feed", "value": {"item": "status"}},
                ],
            },
            {
                "id": 9007199254740993,
                "time": 1502902861,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "leadgen_id": 9007199254740995,
                            "form_id": 9007199254740997,
                            "created_time": 1502902861,
                        },
                    },
                ],
            },
        ],
    }
    notices = meta_notices(payload)
    assert [n.leadgen_id for n in notices] == ["444444444444", "9007199254740995"]
    assert notices[1].page_id == "9007199254740993"  # exact, not rounded through a float
    assert notices[0].created_time == datetime(2017, 8, 16, 17, 1, tzinfo=UTC)


def test_a_graph_lead_maps_field_data() -> None:
    lead = {
        "created_time": "2015-02-28T08:49:14+0000",
        "id": "444444444444",
        "ad_id": "555",
        "ad_name": "Carousel A",
        "campaign_name": "Spring",
        "form_id": "666",
        "platform": "ig",
        "field_data": [
            {"name": "car_make", "values": ["Honda"]},
            {"name": "full_name", "values": ["Joe Example"]},
            {"name": "email", "values": ["joe@example.com"]},
            {"name": "interests", "values": ["a", "b"]},
        ],
    }
    data = meta_lead(lead)
    assert data.fields["email"] == "joe@example.com"
    assert (data.fields["first_name"], data.fields["last_name"]) == ("Joe", "Example")
    assert (data.fields["utm_source"], data.fields["utm_medium"]) == ("instagram", "paid_social")
    assert (data.fields["utm_campaign"], data.fields["utm_content"]) == ("Spring", "Carousel A")
    assert data.fields["occurred_at"] == datetime(2015, 2, 28, 8, 49, 14, tzinfo=UTC)
    assert data.attributes == {"car_make": "Honda", "interests": "a, b"}


LINKEDIN_FORM = {
    "content": {
        "questions": [
            {"questionId": 1, "name": "firstName", "predefinedField": "FIRST_NAME"},
            {"questionId": 2, "name": "emailAddress", "predefinedField": "EMAIL"},
            {"questionId": 3, "name": "budget"},
        ]
    }
}
LINKEDIN_RESPONSE = {
    "id": "0d3e4a4f-1b2c-4d5e-8f90-123456789abc",
    "submittedAt": 1702693664000,
    "testLead": True,
    "leadType": "SPONSORED",
    "versionedLeadGenFormUrn": "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:456,1)",
    "leadMetadata": {"sponsoredLeadMetadata": {"campaign": "urn:li:sponsoredCampaign:789"}},
    "formResponse": {
        "answers": [
            {"questionId": 1, "answerDetails": {"textQuestionAnswer": {"answer": "Ada"}}},
            {"questionId": 2, "answerDetails": {"textQuestionAnswer": {"answer": "ada@analytical.example"}}},
            {"questionId": 3, "answerDetails": {"textQuestionAnswer": {"answer": "50k"}}},
        ],
        "consentResponses": [{"consentId": 10, "accepted": True}],
    },
}


def test_a_linkedin_response_is_named_through_its_form() -> None:
    data = linkedin_lead(LINKEDIN_RESPONSE, LINKEDIN_FORM)
    assert (data.fields["first_name"], data.fields["email"], data.fields["consent"]) == (
        "Ada",
        "ada@analytical.example",
        True,
    )
    assert data.attributes == {"budget": "50k"}
    assert data.is_test is True
    assert data.fields["form_id"] == "linkedin:456"
    assert data.fields["utm_campaign"] == "urn:li:sponsoredCampaign:789"


def test_linkedin_notifications() -> None:
    notice = linkedin_notice(
        {
            "type": "LEAD_ACTION",
            "leadAction": "DELETED",
            "leadGenFormResponse": "r1",
            "leadGenForm": "urn:li:leadGenForm:456",
            "leadType": "SPONSORED",
        }
    )
    assert notice is not None
    assert (notice.response_id, notice.action) == ("r1", "DELETED")
    assert linkedin_notice({"type": "LEAD_ACTION"}) is None
    assert linkedin_form_id("urn:li:leadGenForm:456") == "456"


def test_lenient_parsing_drops_a_bad_field_and_keeps_the_lead() -> None:
    lead, dropped = LeadCreate.lenient({"email": "a@corp.example", "phone": "12", "country": "Narnia"})
    assert lead is not None
    assert (lead.email, lead.phone, lead.country) == ("a@corp.example", None, None)
    assert sorted(dropped) == ["country", "phone"]
    assert LeadCreate.lenient({"email": "nope"}) == (None, ["email"])


def test_a_refunded_token_is_available_again_and_the_burst_is_not_exceeded() -> None:
    limiter = RateLimiter(rate=0.5, burst=2)
    assert [limiter.retry_after("10.0.0.1", 0) for _ in range(2)] == [0, 0]
    assert limiter.retry_after("10.0.0.1", 0) == 2
    limiter.refund("10.0.0.1")  # the attempt that took it succeeded
    assert limiter.retry_after("10.0.0.1", 0) == 0
    for _ in range(5):
        limiter.refund("10.0.0.1")
    assert [limiter.retry_after("10.0.0.1", 0) for _ in range(3)] == [0, 0, 2]
