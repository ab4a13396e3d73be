"""`GET /v1/session`: whether the presented key opens this service, and as what — how the console
checks a key at sign-in without reading anything else. Every service answers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from leadkit.auth import require_api_key
from leadkit.service import Deps, get_deps

session_router = APIRouter(prefix="/v1", tags=["operations"])


class Session(BaseModel):
    service: str
    key: str  # what the key is: `system` (one of LEADLOOP_API_KEYS, every scope)
    scopes: list[str]


@session_router.get("/session", response_model=Session, summary="What the presented key opens here")
async def session(
    deps: Annotated[Deps, Depends(get_deps)], _: Annotated[str, Depends(require_api_key)]
) -> Session:
    return Session(service=deps.service, key="system", scopes=["admin"])
