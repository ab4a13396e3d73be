"""Every instant or day a request can carry, on all five services, is bounded (leadkit.bounds):
read from each service's own OpenAPI document, so a new route or field cannot slip past."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from capture.main import create_app as capture_app
from reporting.main import create_app as reporting_app
from routing.main import create_app as routing_app
from scoring.main import create_app as scoring_app
from sla_monitor.main import create_app as sla_monitor_app

APPS = {
    "capture": capture_app,
    "scoring": scoring_app,
    "routing": routing_app,
    "sla-monitor": sla_monitor_app,
    "reporting": reporting_app,
}


def _unbounded(schema: Any, components: dict[str, Any], path: str, seen: set[str]) -> list[str]:
    """The places in a request schema holding a date or date-time without its bounds."""
    if isinstance(schema, list):
        return [
            p for i, item in enumerate(schema) for p in _unbounded(item, components, f"{path}[{i}]", seen)
        ]
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded(components.get(name, {}), components, f"{path}→{name}", seen | {name})
    found = []
    if schema.get("format") == "date-time" and "x-earliest" not in schema:
        found.append(path)
    if schema.get("format") == "date" and "x-earliest-day" not in schema:
        found.append(path)
    for key, value in schema.items():
        if key in ("properties", "items", "anyOf", "oneOf", "allOf", "additionalProperties"):
            if key == "properties":
                found += [p for n, s in value.items() for p in _unbounded(s, components, f"{path}.{n}", seen)]
            else:
                found += _unbounded(value, components, f"{path}.{key}", seen)
    return found


@pytest.mark.parametrize("service", APPS)
def test_every_instant_a_request_carries_is_bounded(service: str) -> None:
    app: FastAPI = APPS[service]()
    document = app.openapi()
    components = document.get("components", {}).get("schemas", {})
    unbounded: list[str] = []
    for route, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {route}"
            for parameter in operation.get("parameters", []):
                unbounded += _unbounded(
                    parameter.get("schema", {}), components, f"{where} {parameter['name']}", set()
                )
            for media in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(media.get("schema", {}), components, f"{where} body", set())
    assert unbounded == []
