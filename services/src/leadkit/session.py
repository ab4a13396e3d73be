"""`GET /v1/session`: whether the presented key opens this service, and as what — how the console
checks a key at sign-in and learns which buttons to show. Every service answers it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from leadkit.access import Caller, current_caller
from leadkit.console_roles import Role
from leadkit.service import Deps, get_deps

session_router = APIRouter(prefix="/v1", tags=["operations"])


class Session(BaseModel):
    service: str
    key: Literal["system", "console"] = Field(
        description="system: one of LEADLOOP_API_KEYS (admin, personal data); console: a console key"
    )
    name: str = Field(description="the console key's name, or system-<n>")
    role: Role = Field(description="viewer | operator | admin")
    personal_data: bool = Field(description="whether this key reads personal data unmasked")


@session_router.get("/session", response_model=Session, summary="What the presented key opens here")
async def session(
    deps: Annotated[Deps, Depends(get_deps)], caller: Annotated[Caller, Depends(current_caller)]
) -> Session:
    return Session(
        service=deps.service,
        key="console" if caller.console_key_id else "system",
        name=caller.name,
        role=caller.role,
        personal_data=caller.personal_data,
    )
