"""API keys for the JSON API: each names its source and carries scopes; stored as SHA-256 only.

Scopes (least privilege): `ingest` posts leads and touches, `read` reads a lead's personal data,
`erase` forgets a person, `admin` holds every scope. A per-source key gets `ingest` unless told
otherwise; the system keys of LEADLOOP_API_KEYS hold every scope.

Known keys are cached (a bounded LRU with a TTL), unknown ones never are: a spray of random keys
cannot push good keys out. Failed authentications are limited per client address *before* the
database lookup, so a spray is answered with 429, not with database load.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, get_args
from uuid import UUID

from cachetools import TTLCache
from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader
from prometheus_client import Counter

from capture.limits import client_ip
from capture.parts import capture_parts
from leadkit import key_store
from leadkit.access import Caller, console_caller
from leadkit.api_keys import slug_of
from leadkit.auth import missing_key_error, system_key_index
from leadkit.console_roles import Role
from leadkit.db import Connection
from leadkit.key_store import StoredKey
from leadkit.rate_limit import RateLimiter
from leadkit.service import Deps, get_deps

Scope = Literal["ingest", "read", "erase", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
DEFAULT_SCOPES: tuple[Scope, ...] = ("ingest",)
KEY_LOOKUPS = Counter(
    "leadloop_api_key_lookups_total",
    "API key authentications by how they were answered: cache, database_found, database_unknown, "
    "refused (429: too many failures from the client address)",
    ["outcome"],
)

_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A capture key or one of LEADLOOP_API_KEYS"
)


@dataclass(frozen=True)
class Principal:
    """Who is posting: a stored key (with its source) or a system key from LEADLOOP_API_KEYS."""

    key_id: UUID | None
    name: str
    source: str | None
    scopes: frozenset[str] = frozenset(SCOPES)
    console_role: Role | None = None  # a console key's role; its scopes follow from it

    @classmethod
    def of_console(cls, caller: Caller) -> Principal:
        """A console key here: any role reads leads (personal data masked unless the key may read
        it), an admin also erases; none posts leads."""
        scopes = {"read"} if caller.personal_data else set()
        if caller.may("admin"):
            scopes.add("erase")
        return cls(caller.console_key_id, caller.name, None, frozenset(scopes), caller.role)

    @property
    def identity(self) -> str:
        """One name per key, for its rate limit and its idempotency keys."""
        return f"key:{self.key_id}" if self.key_id else f"env:{self.name}"

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def valid_scopes(scopes: Iterable[str]) -> list[Scope]:
    chosen = list(dict.fromkeys(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown or not chosen:
        raise ValueError(f"scopes are {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    return [scope for scope in SCOPES if scope in chosen]


async def create_key(
    conn: Connection,
    *,
    name: str,
    source: str,
    now: datetime,
    scopes: Iterable[str] = DEFAULT_SCOPES,
) -> tuple[StoredKey, str]:
    """A key posting as `source` (`ll_<source>_…`), with these scopes; the key is shown this once."""
    return await key_store.create_key(
        conn,
        name=name,
        source=source,
        scopes=valid_scopes(scopes),
        kind=[slug_of(source, default="key")],
        now=now,
    )


class KeyCache:
    """Known keys by hash, for `ttl` seconds (a revoked key stops working within that), at most
    `max_keys` of them, least recently used dropped first."""

    def __init__(self, *, ttl: float, max_keys: int = 10_000) -> None:
        self._known: TTLCache[str, Principal] | None = (
            TTLCache(maxsize=max_keys, ttl=ttl, timer=time.monotonic) if ttl > 0 else None
        )

    def get(self, key: str) -> Principal | None:
        return self._known.get(key_store.hash_key(key)) if self._known is not None else None

    async def lookup(self, deps: Deps, key: str) -> Principal | None:
        async with deps.pool.acquire() as conn:
            row = await key_store.find_key(conn, key)
        if row is None:
            return None  # never cached: misses must not evict known keys
        principal = Principal(key_id=row.id, name=row.name, source=row.source, scopes=row.scopes)
        if self._known is not None:
            self._known[key_store.hash_key(key)] = principal
        return principal


@dataclass(frozen=True)
class KeyAuth:
    """What authentication needs, built once in `create_app`."""

    cache: KeyCache
    failures: RateLimiter  # failed authentications per client address


async def authenticate(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    api_key: Annotated[str | None, Security(_header)],
) -> Principal:
    if not api_key:
        raise missing_key_error()
    index = system_key_index(deps.settings.leadloop, api_key)
    if index is not None:
        return Principal(key_id=None, name=f"system-{index}", source=None)
    auth = capture_parts(deps).key_auth
    principal = auth.cache.get(api_key)
    if principal is not None:
        KEY_LOOKUPS.labels("cache").inc()
        return principal
    # a failure is reserved before the lookup and refunded when the key is found, so a burst of
    # concurrent guesses cannot all pass the check before the first of them fails
    address = client_ip(request)
    wait = auth.failures.retry_after(address, time.monotonic())
    if wait:
        KEY_LOOKUPS.labels("refused").inc()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many failed authentications from this address; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )
    principal = await auth.cache.lookup(deps, api_key)
    if principal is None:
        console = await console_caller(deps, api_key)
        principal = None if console is None else Principal.of_console(console)
    if principal is None:
        KEY_LOOKUPS.labels("database_unknown").inc()
        raise missing_key_error()
    auth.failures.refund(address)
    KEY_LOOKUPS.labels("database_found").inc()
    return principal


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller's key, which must hold `scope` (403 names the scope it lacks)."""

    async def with_scope(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.allows(scope):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this API key lacks the '{scope}' scope (leadloop keys list shows a key's scopes)",
            )
        return principal

    return with_scope


async def require_lead_reader(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """Reading a lead: the `read` scope, or any console key (which sees personal data masked unless
    it may read it — `Principal.allows("read")`)."""
    if not principal.allows("read") and principal.console_role is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="this API key lacks the 'read' scope (leadloop keys list shows a key's scopes)",
        )
    return principal
