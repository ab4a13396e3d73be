"""Slack incoming webhooks (https://api.slack.com/messaging/webhooks): a JSON `text` message per
event, with `mrkdwn` formatting; a post answers 200 `ok`, and a webhook whose channel was archived
or removed answers 410 (`channel_is_archived`, `channel_not_found`) — which disables the
subscription. Slack allows one message per second per webhook. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECONDS_BETWEEN_MESSAGES = 1.0


def _escape(text: object) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _person(data: Mapping[str, Any], key: str) -> str:
    person = data.get(key) or {}
    name = " ".join(part for part in (person.get("first_name"), person.get("last_name")) if part)
    who = name or person.get("email") or "a lead"
    title, company = person.get("job_title"), person.get("company")
    at = f", {title} at {company}" if title and company else (f" at {company}" if company else "")
    return _escape(f"{who}{at}")


def message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The message for one delivered event."""
    kind, data = payload["type"], payload["data"]
    if kind == "lead.qualified":
        owner = (data.get("owner") or {}).get("name") or (data.get("owner") or {}).get("id")
        touch = data.get("latest_touch") or {}
        origin = " / ".join(str(touch[k]) for k in ("source", "medium") if touch.get(k))
        whom = f"for {_escape(owner)}" if owner else f"waiting in team {_escape(data.get('team'))}'s queue"
        text = f"New {_escape(data.get('grade'))}-grade lead {whom}: {_person(data, 'person')}"
        text += f" ({_escape(origin)})" if origin else ""
    elif kind == "lead.sla_warned":
        text = (
            f"Reminder for {_escape(data.get('owner'))}: the {_escape(data.get('policy'))} SLA on "
            f"{_person(data, 'lead')} is due {_escape(data.get('due_at'))}"
        )
    elif kind == "lead.sla_breached":
        text = (
            f"SLA breached: {_escape(data.get('owner'))} did not meet the {_escape(data.get('policy'))} "
            f"SLA on {_person(data, 'lead')}; escalation: {_escape(data.get('escalation'))}"
        )
    elif kind == "lead.recycled":
        text = f"{_person(data, 'lead')} went back to marketing ({_escape(data.get('reason'))})"
    elif kind == "lead.progressed":
        text = f"{_person(data, 'lead')} is now {_escape(data.get('stage'))} ({_escape(data.get('owner'))})"
    else:
        text = f"{_escape(kind)}: {_person(data, 'lead')}"
    return {"text": text, "mrkdwn": True}
