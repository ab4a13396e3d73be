"""Sales tools' API keys: each tool reports progress with a key of its own, scope `progress`, made
and revoked with `leadloop sla keys`. Kept in sla-monitor's own database (the kit's key store,
`leadkit.key_store`) as SHA-256 only — no
service reads another's keys; the system keys of LEADLOOP_API_KEYS reach every service through
its environment and hold every scope.

`progress` reports steps and reads a lead's SLA clocks; `admin` manages subscriptions (and holds
`progress`); everything else (policies, calendars, reports) needs a system key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit import key_store
from leadkit.api_keys import slug_of
from leadkit.auth import missing_key_error, system_key_index
from leadkit.db import Connection
from leadkit.service import Deps, get_deps

Scope = Literal["progress", "admin"]
SCOPES: tuple[Scope, ...] = ("progress", "admin")
DEFAULT_SCOPES: tuple[Scope, ...] = ("progress",)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A sales tool's key (`progress`) or one of LEADLOOP_API_KEYS",
)


async def create_tool_key(
    conn: Connection, *, name: str, now: datetime, scopes: Sequence[Scope] = DEFAULT_SCOPES
) -> tuple[UUID, str]:
    """A new key for a sales tool: its id, and the key itself, shown this once."""
    stored, key = await key_store.create_key(
        conn, name=name, scopes=list(scopes), kind=["sla", slug_of(name, default="tool")], now=now
    )
    return stored.id, key


def require(scope: Scope) -> Callable[..., Awaitable[str]]:
    """A dependency: a system key, or a sales tool's key that holds `scope` (403 names the scope).
    It answers who called (`system-0`, `tool-<key id>`): idempotency keys are the caller's own."""

    async def with_scope(
        deps: Annotated[Deps, Depends(get_deps)], api_key: Annotated[str | None, Security(_header)]
    ) -> str:
        if not api_key:
            raise missing_key_error()
        index = system_key_index(deps.settings.leadloop, api_key)
        if index is not None:
            return f"system-{index}"
        async with deps.pool.acquire() as conn:
            found = await key_store.find_key(conn, api_key)
        if found is None:
            raise missing_key_error()
        if scope not in found.scopes and "admin" not in found.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"this API key lacks the '{scope}' scope")
        return f"tool-{found.id}"

    return with_scope


require_progress = require("progress")  # one object, so FastAPI runs it once per request
require_admin = require("admin")
