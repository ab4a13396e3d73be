"""`X-API-Key` authentication against `LEADLOOP_API_KEYS`."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit.service import Deps, get_deps
from leadkit.settings import LeadloopSettings

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of LEADLOOP_API_KEYS")


def system_key_index(settings: LeadloopSettings, presented: str | None) -> int | None:
    """Which of LEADLOOP_API_KEYS was presented, or None. Every key is compared, in constant time,
    so timing reveals neither a key's prefix nor its position."""
    found: int | None = None
    for index, key in enumerate(settings.api_key_list()):
        if hmac.compare_digest((presented or "").encode(), key.encode()):  # keys are never empty
            found = index
    return found


def missing_key_error() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid X-API-Key header",
        headers={"WWW-Authenticate": "API-Key"},
    )


async def require_api_key(
    deps: Annotated[Deps, Depends(get_deps)],
    api_key: Annotated[str | None, Security(_api_key_header)],
) -> str:
    if api_key is None or system_key_index(deps.settings.leadloop, api_key) is None:
        raise missing_key_error()
    return api_key
