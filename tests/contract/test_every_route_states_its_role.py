"""Every route a console key can reach states the role it needs, and no route that changes
anything is open to a viewer (issue 23: "the APIs refuse what the role does not allow"). Read
from each service's app, so a new endpoint that forgets its role fails here, not in production."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from capture.main import create_app as capture_app
from reporting.main import create_app as reporting_app
from routing.main import create_app as routing_app
from scoring.main import create_app as scoring_app
from sla_monitor.main import create_app as sla_monitor_app

APPS: dict[str, Callable[[], FastAPI]] = {
    "capture": capture_app,
    "scoring": scoring_app,
    "routing": routing_app,
    "sla-monitor": sla_monitor_app,
    "reporting": reporting_app,
}
# what a viewer may reach that is no GET: each only reads (a what-if, a check of a document)
READS_BY_POST = {"/simulate", "/validate"}
VIEWER_CHECKS = {"require_viewer", "require_progress_or_console_viewer", "require_admin_or_console_viewer"}
STEERING_CHECKS = {
    "require_operator",
    "require_admin",
    "require_progress_or_console_operator",
    "require_admin_or_console_admin",
}


def checks(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        call: Any = dependency.call
        yield getattr(call, "__name__", "")
        yield from checks(dependency)


def api_routes(candidates: list[Any]) -> Iterator[APIRoute]:
    for route in candidates:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI ≥ 0.16x keeps an included router whole
            yield from api_routes(route.original_router.routes)


def routes() -> Iterator[tuple[str, APIRoute]]:
    for service, create in APPS.items():
        for route in api_routes(create().routes):
            yield service, route


ROUTES = list(routes())


@pytest.mark.parametrize(
    ("service", "route"), ROUTES, ids=[f"{s} {sorted(r.methods)} {r.path}" for s, r in ROUTES]
)
def test_no_viewer_changes_anything(service: str, route: APIRoute) -> None:
    names = set(checks(route.dependant))
    if not names & VIEWER_CHECKS or route.methods <= {"GET", "HEAD"}:
        return
    if any(route.path.endswith(read) for read in READS_BY_POST):
        return
    assert names & STEERING_CHECKS, f"{service} {route.path} changes something but a viewer may call it"


def test_the_console_reaches_every_screens_api() -> None:
    """The reads the console's screens make are open to a viewer (the test would pass vacuously if
    no route named a role)."""
    viewer_routes = {(s, r.path) for s, r in ROUTES if set(checks(r.dependant)) & VIEWER_CHECKS}
    for expected in [
        ("reporting", "/v1/reports/overview"),
        ("routing", "/v1/reps"),
        ("routing", "/v1/leads/{lead_id}/routing"),
        ("scoring", "/v1/leads/{lead_id}/score"),
        ("sla-monitor", "/v1/leads/{lead_id}/deliveries"),
        ("sla-monitor", "/v1/leads/{lead_id}/sla"),
    ]:
        assert expected in viewer_routes
