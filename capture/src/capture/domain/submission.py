"""What every capture path produces, whatever its format: one person, one touch. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from capture.domain.channel import derive_channel
from capture.domain.normalize import company_domain, url_parameters

PERSON_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "company_size",
    "industry",
    "country",
)


@dataclass(frozen=True)
class PersonData:
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    company_size: str | None = None
    industry: str | None = None
    country: str | None = None
    company_domain: str | None = None


@dataclass(frozen=True)
class TouchData:
    type: str = "form_submission"
    via: str = "api"
    occurred_at: datetime | None = None
    channel: str | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None
    gclid: str | None = None
    fbclid: str | None = None
    msclkid: str | None = None
    li_fat_id: str | None = None
    form_id: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    external_id: str | None = None
    is_test: bool = False
    consent_marketing: bool | None = None
    consent_text: str | None = None
    api_key_id: UUID | None = None


@dataclass(frozen=True)
class Submission:
    person: PersonData
    touch: TouchData
    attributes: dict[str, Any] = field(default_factory=dict)


def build_submission(
    fields: Mapping[str, Any],
    *,
    attributes: Mapping[str, Any] | None = None,
    via: str,
    touch_type: str = "form_submission",
    default_source: str | None = None,
    default_medium: str | None = None,
    external_id: str | None = None,
    is_test: bool = False,
    api_key_id: UUID | None = None,
) -> Submission:
    """From already validated and normalized flat fields (the names web forms use).

    UTM fields and click ids missing from the fields are read from `page_url`'s query; the
    source falls back to the capture path's default (a key's or a form's source).
    """
    from_url = url_parameters(fields.get("page_url"))

    def pick(name: str) -> Any:
        value = fields.get(name)
        return value if value not in (None, "") else from_url.get(name)

    email = fields.get("email")
    person = PersonData(
        **{name: fields.get(name) for name in PERSON_FIELDS}, company_domain=company_domain(email)
    )
    touch = TouchData(
        type=touch_type,
        via=via,
        occurred_at=fields.get("occurred_at"),
        source=pick("utm_source") or default_source,
        medium=pick("utm_medium") or default_medium,
        campaign=pick("utm_campaign"),
        content=pick("utm_content"),
        term=pick("utm_term"),
        gclid=pick("gclid"),
        fbclid=pick("fbclid"),
        msclkid=pick("msclkid"),
        li_fat_id=pick("li_fat_id"),
        form_id=fields.get("form_id"),
        page_url=fields.get("page_url"),
        referrer=fields.get("referrer"),
        external_id=external_id,
        is_test=is_test,
        consent_marketing=fields.get("consent"),
        consent_text=fields.get("consent_text"),
        api_key_id=api_key_id,
    )
    channel = derive_channel(
        source=touch.source,
        medium=touch.medium,
        gclid=touch.gclid,
        fbclid=touch.fbclid,
        msclkid=touch.msclkid,
        li_fat_id=touch.li_fat_id,
        referrer=touch.referrer,
    )
    return Submission(person=person, touch=replace(touch, channel=channel), attributes=dict(attributes or {}))
