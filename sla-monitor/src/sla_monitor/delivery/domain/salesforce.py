"""Salesforce (REST API, OAuth 2.0 client credentials) as a delivery's destination, from
Salesforce's REST API documentation. Pure: the requests a `lead.qualified` becomes and what the
answers mean.

1. `POST {instance}/services/oauth2/token` with `grant_type=client_credentials`, the connected
   app's client id and secret: an `access_token` (and the `instance_url` to call).
2. The first time, `POST /services/data/v62.0/sobjects/Lead` (LastName and Company are required by
   Salesforce; OwnerId from the subscription's owner map); later qualifications of the same lead
   `PATCH /services/data/v62.0/sobjects/Lead/{id}`. Every request carries
   `Sforce-Auto-Assign: FALSE`, so the org's assignment rules never overwrite leadloop's routing.
3. A `400` names what Salesforce refused (`[{"message", "errorCode", "fields"}]`): a validation or
   duplicate rule will refuse the same record again, so the delivery is parked with that message
   rather than retried. A `401` means the token expired: a new one is fetched once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

API_VERSION = "v62.0"
EVENT_TYPES = frozenset({"lead.qualified"})
UNKNOWN_COMPANY = "[not provided]"  # Salesforce requires Company on a Lead


def token_form(client_id: str, client_secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}


def lead_path(record_id: str | None = None) -> str:
    base = f"/services/data/{API_VERSION}/sobjects/Lead"
    return base if record_id is None else f"{base}/{record_id}"


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Sforce-Auto-Assign": "FALSE",
    }


def lead_fields(payload: Mapping[str, Any], owner_map: Mapping[str, str]) -> dict[str, Any]:
    data = payload["data"]
    person = data.get("person") or {}
    touch = data.get("latest_touch") or {}
    owner = (data.get("owner") or {}).get("id")
    fields = {
        "FirstName": person.get("first_name"),
        "LastName": person.get("last_name") or person.get("email") or "Unknown",
        "Company": person.get("company") or UNKNOWN_COMPANY,
        "Email": person.get("email"),
        "Phone": person.get("phone"),
        "Title": person.get("job_title"),
        "LeadSource": touch.get("source"),
        "OwnerId": owner_map.get(owner) if owner else None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def refusal(errors: Sequence[Mapping[str, Any]]) -> str:
    """Salesforce's own words for a refused record: each error's code, message and fields."""
    parts = []
    for error in errors:
        fields = ", ".join(error.get("fields") or [])
        parts.append(f"{error.get('errorCode')}: {error.get('message')}" + (f" ({fields})" if fields else ""))
    return "; ".join(parts) or "Salesforce refused the record"
