"""The console: static files served as they are in the repository (no build step) at /console,
and /console/config.json, which tells the browser where each service's API is — the browser
calls each service itself; no service calls another."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from leadkit.service import Deps, get_deps
from reporting.settings import ReportingSettings

CONSOLE_FILES = Path(__file__).resolve().parents[1] / "console"
router = APIRouter(tags=["console"])


@router.get("/console/config.json", summary="Where the console's browser finds each service's API")
async def console_config(deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, dict[str, str]]:
    settings = deps.settings
    assert isinstance(settings, ReportingSettings)
    return {"services": settings.console_api_url_map()}


def mount_console(app: FastAPI) -> None:
    """After the routes, so /console/config.json is answered by its route, not looked for as a file."""
    app.mount("/console", StaticFiles(directory=CONSOLE_FILES, html=True), name="console")
