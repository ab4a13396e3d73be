"""HubSpot Forms API v3 submissions → the flat fields every capture path uses. Pure.

A site that posts its forms to HubSpot's `submissions/v3/integration/submit` endpoint sends
`fields` as `{"name", "value"}` pairs named by HubSpot contact properties, the page in `context`,
and consent in `legalConsentOptions`. Mapping those here lets such a site point its existing
form code at leadloop by changing only the base URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from capture.domain.normalize import CLICK_ID_FIELDS, UTM_FIELDS

# HubSpot contact property → leadloop field; other properties are kept as custom attributes.
# Fields a site adds under leadloop's own names (utm_source, gclid, …) pass through as they are.
HUBSPOT_PROPERTIES = {
    "email": "email",
    "firstname": "first_name",
    "lastname": "last_name",
    "phone": "phone",
    "mobilephone": "phone",
    "company": "company",
    "jobtitle": "job_title",
    "country": "country",
    "numemployees": "company_size",
    "industry": "industry",
}
PASSED_THROUGH = frozenset((*UTM_FIELDS, *CLICK_ID_FIELDS))


@dataclass(frozen=True)
class HubSpotSubmission:
    fields: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)


def _attribute_name(name: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "field"


def submitted_at(value: int | str | None) -> datetime | None:
    """HubSpot's `submittedAt` is milliseconds since the epoch, as a number or a string."""
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _consent(options: dict[str, Any]) -> tuple[bool | None, str | None]:
    """Marketing consent: a ticked communications subscription, or a legitimate interest."""
    consent = options.get("consent") or {}
    communications = consent.get("communications") or []
    interest = options.get("legitimateInterest") or {}
    ticked = [c for c in communications if c.get("value") is True]
    texts = [consent.get("text"), *(c.get("text") for c in communications), interest.get("text")]
    text = " | ".join(t for t in texts if t) or None
    if ticked or interest.get("value") is True:
        return True, text
    if communications:
        return False, text
    return None, text


def hubspot_submission(
    *, fields: list[tuple[str, str]], context: dict[str, Any], consent_options: dict[str, Any], portal_id: str
) -> HubSpotSubmission:
    """`fields` are the submission's (name, value) pairs, in order; the first value of a field wins."""
    mapped: dict[str, Any] = {}
    attributes: dict[str, Any] = {"hubspot_portal_id": portal_id}
    for name, value in fields:
        target = HUBSPOT_PROPERTIES.get(name) or (name if name in PASSED_THROUGH else None)
        if target is not None:
            mapped.setdefault(target, value)
        else:
            attributes.setdefault(_attribute_name(name), value)
    if context.get("pageUri"):
        mapped["page_url"] = context["pageUri"]
    for key, attribute in (("pageName", "page_name"), ("hutk", "hubspot_utk"), ("pageId", "hubspot_page_id")):
        if context.get(key):
            attributes[attribute] = context[key]
    consent, consent_text = _consent(consent_options)
    if consent is not None:
        mapped["consent"] = consent
    if consent_text:
        mapped["consent_text"] = consent_text
    return HubSpotSubmission(fields=mapped, attributes=attributes)
