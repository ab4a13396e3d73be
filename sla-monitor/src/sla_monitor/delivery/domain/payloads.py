"""What a sales tool receives: the Standard Webhooks payload shape — `type`, `timestamp` and
`data` — with the data a tool needs to act without calling back. Pure.

`lead.qualified` carries the person (name, email, phone, company, title), the owner and team,
score, grade and the rules that fired, why this rep, and the first and latest touch with their
UTM data: enough to create a CRM record. Every other type carries its event's data and the lead's
identity (id, email, name, company). The envelope's `id` is the delivery's `webhook-id`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lead_schemas import Envelope, LeadQualified

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
IDENTITY_FIELDS = ("email", "first_name", "last_name", "company")
TOUCH_FIELDS = (
    "occurred_at",
    "type",
    "via",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "form_id",
)


@dataclass(frozen=True)
class LeadCard:
    """What sla-monitor keeps of a lead for its deliveries (erased with the person): the person,
    the first and latest touch, and the latest score with its reasons."""

    person: Mapping[str, Any] = field(default_factory=dict)
    first_touch: Mapping[str, Any] | None = None
    latest_touch: Mapping[str, Any] | None = None
    score: int | None = None
    grade: str | None = None
    reasons: tuple[Mapping[str, Any], ...] = ()


def encoded(payload: Mapping[str, Any]) -> str:
    """The text stored and, as UTF-8, sent and signed: compact JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def payload(event: Envelope, card: LeadCard | None) -> dict[str, Any]:
    """The JSON object delivered for `event` (its data plus what the card knows of the lead)."""
    card = card or LeadCard()
    data: dict[str, Any] = {
        "lead_id": str(event.lead_id),
        "correlation_id": str(event.correlation_id),
        "occurred_at": event.occurred_at.isoformat(),
    }
    if isinstance(event, LeadQualified):
        found = event.data
        data |= {
            "person": {name: card.person.get(name) for name in PERSON_FIELDS},
            "owner": None
            if found.owner is None
            else {"id": found.owner, "name": found.owner_name, "email": found.owner_email},
            "team": found.team,
            "score": found.score,
            "grade": found.grade,
            "reasons": [dict(reason) for reason in card.reasons],
            "routing": {
                "rule": found.rule,
                "reason": found.reason,
                "assignment": found.assignment,
                "previous_owner": found.previous_owner,
                "policy_version": found.policy_version,
            },
            "source": found.source,
            "country": found.country,
            "region": found.region,
            "first_touch": _touch(card.first_touch),
            "latest_touch": _touch(card.latest_touch),
        }
    else:
        data |= {
            "lead": {name: card.person.get(name) for name in IDENTITY_FIELDS},
            **json.loads(event.data.model_dump_json()),
        }
    return {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}


def _touch(touch: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if touch is None else {name: touch.get(name) for name in TOUCH_FIELDS}
