"""Who is calling, and what their key lets them do: a system key of `LEADLOOP_API_KEYS` (admin,
personal data included) or a console key (its role, `leadkit.console_roles`). Every endpoint
states the role it needs — `Depends(require_role("operator"))` — and a key without it is a 403
naming the role, so the console hides what a key cannot use and the API refuses it anyway.

Console keys are not cached: a lookup is one indexed read per request at human pace, and a
revoked key stops working at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from leadkit import console_keys
from leadkit.auth import missing_key_error, system_key_index
from leadkit.console_roles import Role, role_allows
from leadkit.service import Deps, get_deps

_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A console key or one of LEADLOOP_API_KEYS"
)


@dataclass(frozen=True)
class Caller:
    """A key that opened this service: `system-<n>` or `console-<key id>`."""

    name: str
    role: Role
    personal_data: bool
    console_key_id: UUID | None = None

    @property
    def identity(self) -> str:
        return f"console-{self.console_key_id}" if self.console_key_id else self.name

    def may(self, role: Role) -> bool:
        return role_allows(self.role, role)


async def console_caller(deps: Deps, api_key: str) -> Caller | None:
    """The console key this is, as a caller, or None."""
    async with deps.pool.acquire() as conn:
        found = await console_keys.find_key(conn, api_key)
    if found is None:
        return None
    return Caller(
        name=found.name, role=found.role, personal_data=found.personal_data, console_key_id=found.id
    )


async def current_caller(
    deps: Annotated[Deps, Depends(get_deps)], api_key: Annotated[str | None, Security(_header)]
) -> Caller:
    """The caller of this request (FastAPI runs it once per request, however many checks use it)."""
    if not api_key:
        raise missing_key_error()
    index = system_key_index(deps.settings.leadloop, api_key)
    if index is not None:
        return Caller(name=f"system-{index}", role="admin", personal_data=True)
    caller = await console_caller(deps, api_key)
    if caller is None:
        raise missing_key_error()
    return caller


def role_refused(role: Role) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail=f"this key's console role cannot do this: it needs '{role}' (leadloop console-keys list)",
    )


def _requiring(role: Role) -> Callable[..., Awaitable[Caller]]:
    async def with_role(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not caller.may(role):
            raise role_refused(role)
        return caller

    with_role.__name__ = f"require_{role}"
    return with_role


_REQUIRES: dict[Role, Callable[..., Awaitable[Caller]]] = {
    role: _requiring(role) for role in ("viewer", "operator", "admin")
}


def require_role(role: Role) -> Callable[..., Awaitable[Caller]]:
    """The dependency for `role`: one object per role, so routes and tests can name it."""
    return _REQUIRES[role]


Admin = Annotated[Caller, Depends(require_role("admin"))]  # a route that records which admin
