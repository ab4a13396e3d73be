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
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit import key_store
from leadkit.access import console_caller, role_refused
from leadkit.api_keys import slug_of
from leadkit.auth import missing_key_error, system_key_index
from leadkit.console_roles import Role, role_allows
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


@dataclass(frozen=True)
class SlaCaller:
    """Who called: `system-<n>`, `tool-<key id>` (a sales tool's key, its scopes) or
    `console-<key id>` (a console key, its role)."""

    identity: str
    scopes: frozenset[str]
    console_role: Role | None = None
    personal_data: bool = True


async def sla_caller(
    deps: Annotated[Deps, Depends(get_deps)], api_key: Annotated[str | None, Security(_header)]
) -> SlaCaller:
    """The caller of this request (FastAPI runs it once per request, however many checks use it)."""
    if not api_key:
        raise missing_key_error()
    index = system_key_index(deps.settings.leadloop, api_key)
    if index is not None:
        return SlaCaller(f"system-{index}", frozenset(SCOPES))
    async with deps.pool.acquire() as conn:
        found = await key_store.find_key(conn, api_key)
    if found is not None:
        return SlaCaller(f"tool-{found.id}", found.scopes)
    console = await console_caller(deps, api_key)
    if console is None:
        raise missing_key_error()
    return SlaCaller(console.identity, frozenset(), console.role, console.personal_data)


def require(scope: Scope, *, console: Role) -> Callable[..., Awaitable[SlaCaller]]:
    """A dependency: a system key, a sales tool's key that holds `scope`, or a console key whose
    role is at least `console` (403 names what is missing). Idempotency keys are the caller's own."""

    async def with_scope(caller: Annotated[SlaCaller, Depends(sla_caller)]) -> SlaCaller:
        if caller.console_role is not None:
            if not role_allows(caller.console_role, console):
                raise role_refused(console)
        elif scope not in caller.scopes and "admin" not in caller.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"this API key lacks the '{scope}' scope")
        return caller

    with_scope.__name__ = f"require_{scope}_or_console_{console}"
    return with_scope


# one object each, so FastAPI runs a check once per request
require_progress_read = require("progress", console="viewer")
require_progress = require("progress", console="operator")
require_admin = require("admin", console="admin")
require_deliveries_read = require("admin", console="viewer")
