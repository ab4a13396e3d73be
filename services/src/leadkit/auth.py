"""`X-API-Key` authentication against `LEADLOOP_API_KEYS`."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit.service import Deps, get_deps

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="One of LEADLOOP_API_KEYS")


async def require_api_key(
    deps: Annotated[Deps, Depends(get_deps)],
    api_key: Annotated[str | None, Security(_api_key_header)],
) -> str:
    # Compare against every key in constant time, so timing does not reveal a key's prefix.
    presented = (api_key or "").encode()
    matched = False
    for key in deps.settings.leadloop.api_key_list():
        matched |= hmac.compare_digest(presented, key.encode())
    if not api_key or not matched:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid X-API-Key header",
            headers={"WWW-Authenticate": "API-Key"},
        )
    return api_key
