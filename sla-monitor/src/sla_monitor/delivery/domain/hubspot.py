"""HubSpot (CRM v3, a private app's token) as a delivery's destination, from HubSpot's API
reference. Pure: the requests a `lead.qualified` becomes and what HubSpot's answers mean.

1. `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty: email`: the contact is created,
   or updated when one has that email; `hubspot_owner_id` from the subscription's owner map
   (leadloop rep → HubSpot owner id). The answer's `results[0].id` is the contact.
2. The first time, `POST /crm/v3/objects/leads` with `hs_lead_name` and the owner, associated with
   the contact (HUBSPOT_DEFINED association type 578, lead to primary contact); later
   qualifications of the same lead (a reassignment) `PATCH /crm/v3/objects/leads/{id}` with the
   new owner. The lead's id is recorded, so later events update the same record.

HubSpot allows a private app 100 requests per 10 seconds and answers `429` past it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_URL = "https://api.hubapi.com"
SECONDS_BETWEEN_REQUESTS = 0.1  # 100 per 10 seconds
LEAD_TO_PRIMARY_CONTACT = 578
EVENT_TYPES = frozenset({"lead.qualified"})


def contact_upsert(payload: Mapping[str, Any], owner_map: Mapping[str, str]) -> dict[str, Any] | None:
    """The upsert's body; None when the lead has no email to upsert by."""
    data = payload["data"]
    person = data.get("person") or {}
    email = person.get("email")
    if not email:
        return None
    properties = {
        "email": email,
        "firstname": person.get("first_name"),
        "lastname": person.get("last_name"),
        "phone": person.get("phone"),
        "company": person.get("company"),
        "jobtitle": person.get("job_title"),
        "hubspot_owner_id": owner_of(data, owner_map),
    }
    return {
        "inputs": [
            {"idProperty": "email", "id": email, "properties": {k: v for k, v in properties.items() if v}}
        ]
    }


def owner_of(data: Mapping[str, Any], owner_map: Mapping[str, str]) -> str | None:
    owner = (data.get("owner") or {}).get("id")
    return owner_map.get(owner) if owner else None


def lead_create(payload: Mapping[str, Any], contact_id: str, owner_map: Mapping[str, str]) -> dict[str, Any]:
    data = payload["data"]
    person = data.get("person") or {}
    name = " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p) or person.get(
        "email"
    )
    properties = {"hs_lead_name": name, "hubspot_owner_id": owner_of(data, owner_map)}
    return {
        "properties": {k: v for k, v in properties.items() if v},
        "associations": [
            {
                "to": {"id": contact_id},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": LEAD_TO_PRIMARY_CONTACT}
                ],
            }
        ],
    }


def lead_update(payload: Mapping[str, Any], owner_map: Mapping[str, str]) -> dict[str, Any]:
    return {"properties": {"hubspot_owner_id": owner_of(payload["data"], owner_map) or ""}}


def upserted_id(answer: Mapping[str, Any]) -> str | None:
    results = answer.get("results") or []
    found = results[0].get("id") if results and isinstance(results[0], Mapping) else None
    return str(found) if found is not None else None


def error_message(answer: Mapping[str, Any]) -> str:
    """HubSpot's own words for a refused request (`message`, with `category`)."""
    message = str(answer.get("message") or "HubSpot refused the request")
    category = answer.get("category")
    return f"{category}: {message}" if category else message
