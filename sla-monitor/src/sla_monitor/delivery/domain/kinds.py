"""What each kind of subscription needs, checked field by field when it is saved. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sla_monitor.delivery.domain import hubspot, salesforce

HUBSPOT_OWNER = re.compile(r"^[0-9]{1,20}$")
SALESFORCE_USER = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")  # a User id, 15 or 18 characters
CRM_EVENT_TYPES = {"hubspot": hubspot.EVENT_TYPES, "salesforce": salesforce.EVENT_TYPES}

Problem = tuple[tuple[str | int, ...], str]


def subscription_problems(
    *,
    kind: str,
    url: str | None,
    event_types: Sequence[str],
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    owner_map: Mapping[str, str],
) -> list[Problem]:
    problems: list[Problem] = []
    if url is None and kind != "hubspot":
        problems.append((("url",), f"a {kind} subscription needs its URL"))
    if kind == "hubspot" and not token:
        problems.append((("token",), "a HubSpot subscription needs its private app's access token"))
    if kind == "salesforce":
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if not value:
                problems.append(
                    ((name,), "a Salesforce subscription needs its connected app's client id and secret")
                )
    if kind not in ("hubspot",) and token:
        problems.append((("token",), f"a {kind} subscription takes no token"))
    if kind != "salesforce" and (client_id or client_secret):
        problems.append((("client_id",), f"a {kind} subscription takes no client id or secret"))
    allowed = CRM_EVENT_TYPES.get(kind)
    if allowed is not None:
        for index, event_type in enumerate(event_types):
            if event_type not in allowed:
                problems.append(
                    (("event_types", index), f"a {kind} subscription takes {', '.join(sorted(allowed))}")
                )
    if owner_map and kind not in CRM_EVENT_TYPES:
        problems.append((("owner_map",), f"a {kind} subscription takes no owner map"))
    pattern = {"hubspot": HUBSPOT_OWNER, "salesforce": SALESFORCE_USER}.get(kind)
    for rep, owner in owner_map.items():
        if pattern is not None and not pattern.match(owner):
            what = "a HubSpot owner id (digits)" if kind == "hubspot" else "a Salesforce User id (005…)"
            problems.append((("owner_map", rep), f"{owner!r} is not {what}"))
    return problems
