import pytest

from capture.domain.normalize import (
    clean_text,
    identity_key,
    normalize_country,
    normalize_email,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("ada.lovelace+news@example.co.uk", "ada.lovelace+news@example.co.uk"),
        ("user@BÜCHER.de", "user@bücher.de"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["plainaddress", "a@", "@example.com", "a b@example.com", "a@b"])
def test_an_invalid_email_says_so(raw: str) -> None:
    with pytest.raises(ValueError, match="not a valid email"):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("030 901820", "DE", "+4930901820"),
    ],
)
def test_phone_becomes_e164_with_the_country_as_hint(raw: str, country: str | None, expected: str) -> None:
    assert normalize_phone(raw, country=country) == expected


def test_a_national_number_without_a_country_asks_for_one() -> None:
    with pytest.raises(ValueError, match=r"\+country code"):
        normalize_phone("020 7946 0958", country=None)


def test_an_impossible_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid phone"):
        normalize_phone("+44 12", country=None)


def test_country_is_an_upper_case_iso_code() -> None:
    assert normalize_country(" de ") == "DE"
    with pytest.raises(ValueError, match="ISO 3166-1 code"):
        normalize_country("Atlantis")


def test_empty_text_becomes_none_so_it_never_overwrites() -> None:
    assert clean_text("   ") is None
    assert clean_text("  Ada   Lovelace ") == "Ada Lovelace"


def test_identity_is_email_first_then_phone() -> None:
    assert identity_key(email="a@example.com", phone="+4930901820") == "email:a@example.com"
    assert identity_key(email=None, phone="+4930901820") == "phone:+4930901820"
    with pytest.raises(ValueError, match="email or a phone"):
        identity_key(email=None, phone=None)
