"""Sales tools' API keys: each tool reports progress with a key of its own, scope `progress`, made
and revoked with `leadloop sla keys`. Kept in sla-monitor's own database as SHA-256 only — no
service reads another's keys; the system keys of LEADLOOP_API_KEYS reach every service through
its environment and hold every scope.

`progress` reports steps and reads a lead's SLA clocks; everything else (policies, calendars,
reports) needs a system key.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit.api_keys import AmbiguousKey, new_key, slug_of
from leadkit.auth import missing_key_error, system_key_index
from leadkit.db import Connection
from leadkit.service import Deps, get_deps

Scope = Literal["progress"]
SCOPES: tuple[Scope, ...] = ("progress",)
_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A sales tool's key (`progress`) or one of LEADLOOP_API_KEYS",
)
_FIND = "SELECT id, scopes FROM tool_keys WHERE key_hash = $1 AND revoked_at IS NULL"
_CREATE = """
INSERT INTO tool_keys (id, name, key_hash, prefix, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)
"""
_LIST = "SELECT id, name, prefix, scopes, created_at, revoked_at FROM tool_keys ORDER BY created_at"
_NAMED = "SELECT count(*) FROM tool_keys WHERE (prefix = $1 OR id = $2) AND revoked_at IS NULL"
_REVOKE = """
UPDATE tool_keys SET revoked_at = $3 WHERE (prefix = $1 OR id = $2) AND revoked_at IS NULL RETURNING id
"""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_tool_key(conn: Connection, *, name: str, now: datetime) -> tuple[UUID, str]:
    """A new key for a sales tool: its id, and the key itself, shown this once."""
    key, prefix = new_key("sla", slug_of(name, default="tool"))
    key_id = uuid4()
    await conn.execute(_CREATE, key_id, name, hash_key(key), prefix, list(SCOPES), now)
    return key_id, key


async def revoke_tool_key(conn: Connection, prefix_or_id: str, *, now: datetime) -> int:
    """Revoke the one active key `prefix_or_id` names; AmbiguousKey when it names several."""
    key_id = None
    with contextlib.suppress(ValueError):
        key_id = UUID(prefix_or_id)
    async with conn.transaction():
        named = await conn.fetchval(_NAMED, prefix_or_id, key_id)
        if named > 1:
            raise AmbiguousKey(prefix_or_id, named)
        return len(await conn.fetch(_REVOKE, prefix_or_id, key_id, now))


async def tool_keys(conn: Connection) -> list[dict[str, object]]:
    return [dict(row) for row in await conn.fetch(_LIST)]


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
            found = await conn.fetchrow(_FIND, hash_key(api_key))
        if found is None:
            raise missing_key_error()
        if scope not in found["scopes"]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"this API key lacks the '{scope}' scope")
        return f"tool-{found['id']}"

    return with_scope


require_progress = require("progress")  # one object, so FastAPI runs it once per request
