"""Render the checked-in JSON Schema files and AsyncAPI document from the pydantic models.

`python -m lead_schemas.generate` rewrites them; `schemas/tests/test_generated.py` fails when
the files on disk differ from what the models render, so the contract cannot drift silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lead_schemas.events import EVENT_TYPES
from lead_schemas.privacy import PERSONAL_TOPICS, history_of

SCHEMAS_DIR = Path(__file__).resolve().parents[2]
JSON_DIR = SCHEMAS_DIR / "json"
ASYNCAPI_PATH = SCHEMAS_DIR / "asyncapi.json"

_DESCRIPTIONS = {
    "lead.captured": "A submission or touch from a person was accepted (new or known lead).",
    "lead.scored": "A lead's score or grade changed.",
    "lead.qualified": (
        "The lead met the qualification bar and has an owner (first assignment or a reassignment), "
        "or waits in its team's queue (owner null)."
    ),
    "lead.progressed": (
        "Sales reported a step: accepted, contacted, meeting, sql, opportunity, won, lost or rejected."
    ),
    "lead.sla_warned": "An SLA clock passed its warning share: the owner is reminded before the breach.",
    "lead.sla_breached": "An SLA clock ran out; names the policy, the due time and the escalation step.",
    "lead.recycled": "The lead goes back to marketing nurture.",
    "lead.erased": "A person asked to be forgotten: drop their personal data, keep anonymous counts.",
    "rep.changed": (
        "Routing's roster changed: a rep added, changed, switched on or off, or removed. About a rep, "
        "not a lead: key and lead_id are uuid5 of the rep id (lead_schemas.rep_key)."
    ),
}
_PRODUCERS = {
    "lead.captured": "capture",
    "lead.scored": "scoring",
    "lead.qualified": "routing",
    "lead.progressed": "sla-monitor",
    "lead.sla_warned": "sla-monitor",
    "lead.sla_breached": "sla-monitor",
    "lead.recycled": "sla-monitor",
    "lead.erased": "capture",
    "rep.changed": "routing",
}


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def json_schemas() -> dict[str, dict[str, Any]]:
    return {topic: cls.model_json_schema(mode="serialization") for topic, cls in EVENT_TYPES.items()}


def asyncapi() -> dict[str, Any]:
    schemas = json_schemas()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, _schema in schemas.items():
        name = EVENT_TYPES[topic].__name__
        messages[name] = {
            "name": name,
            "title": topic,
            "summary": _DESCRIPTIONS[topic],
            "contentType": "application/json",
            "payload": {"$ref": f"./json/{topic}.schema.json"},
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "format": "uuid",
                        "description": "rep_key(rep_id)" if topic == "rep.changed" else "lead_id",
                    }
                }
            },
        }
        channels[topic] = {
            "address": topic,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "summary": f"{_PRODUCERS[topic]} publishes {topic}",
        }
        if topic in PERSONAL_TOPICS:
            channels[topic]["description"] = (
                f"Personal: kept for the privacy window only. Its history twin is {history_of(topic)}."
            )
            channels[history_of(topic)] = {
                "address": history_of(topic),
                "description": f"The history of {topic}, kept forever: the same messages with every "
                "personal field removed and an id derived from the original's (lead_schemas.privacy).",
                "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            }
            operations[f"publish_{name}_history"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{history_of(topic)}"},
                "summary": f"{_PRODUCERS[topic]} publishes the history twin of each {topic}",
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "leadloop events",
            "version": "1.0.0",
            "description": (
                "Events between leadloop's services. Message key = lead_id; one JSON envelope per message."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> dict[Path, str]:
    files = {JSON_DIR / f"{topic}.schema.json": _dump(schema) for topic, schema in json_schemas().items()}
    files[ASYNCAPI_PATH] = _dump(asyncapi())
    return files


def main() -> None:
    JSON_DIR.mkdir(exist_ok=True)
    for path, text in render().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(SCHEMAS_DIR.parent)}")  # noqa: T201


if __name__ == "__main__":
    main()
