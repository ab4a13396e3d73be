"""Normalization of what a form sends: pure functions, each raising ValueError with a reason."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

ISO_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)


def normalize_email(raw: str) -> str:
    """Trimmed and lower-cased, internationalized domains in their Unicode form."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return checked.normalized.lower()


def normalize_country(raw: str) -> str:
    """ISO 3166-1 alpha-2, upper case."""
    code = raw.strip().upper()
    if code not in ISO_REGIONS:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. DE or US")
    return code


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
