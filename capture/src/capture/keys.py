"""API keys for the JSON API: each names its source; stored as SHA-256 only; cached briefly."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import ApiKey
from leadkit.auth import missing_key_error, system_key_index
from leadkit.service import Deps, get_deps

_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A capture key or one of LEADLOOP_API_KEYS"
)


@dataclass(frozen=True)
class Principal:
    """Who is posting: a stored key (with its source) or a system key from LEADLOOP_API_KEYS."""

    key_id: UUID | None
    name: str
    source: str | None

    @property
    def scope(self) -> str:
        return f"key:{self.key_id}" if self.key_id else f"env:{self.name}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(source: str) -> str:
    slug = "".join(c for c in source.lower() if c.isalnum())[:12] or "key"
    return f"ll_{slug}_{secrets.token_urlsafe(24)}"


async def create_key(session: AsyncSession, *, name: str, source: str, now: datetime) -> tuple[ApiKey, str]:
    key = new_key(source)
    row = ApiKey(
        id=uuid4(), name=name, source=source, key_hash=hash_key(key), prefix=key[:12], created_at=now
    )
    session.add(row)
    return row, key


async def revoke_key(session: AsyncSession, *, prefix_or_id: str, now: datetime) -> int:
    condition = ApiKey.prefix == prefix_or_id
    with contextlib.suppress(ValueError):
        condition = condition | (ApiKey.id == UUID(prefix_or_id))
    result = await session.execute(
        update(ApiKey)
        .where(condition, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiKey.id)
    )
    return len(result.all())


class KeyCache:
    """Stored keys by hash for a few seconds, so a busy endpoint does not read the table per request."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    async def lookup(self, deps: Deps, key: str) -> Principal | None:
        digest = hash_key(key)
        cached = self._entries.get(digest)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        async with deps.sessions() as session:
            row = await session.scalar(
                select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
            )
        principal = Principal(key_id=row.id, name=row.name, source=row.source) if row else None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (time.monotonic(), principal)
        return principal


async def authenticate(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    api_key: Annotated[str | None, Security(_header)],
) -> Principal:
    if api_key:
        index = system_key_index(deps.settings.leadloop, api_key)
        if index is not None:
            return Principal(key_id=None, name=f"system-{index}", source=None)
        cache: KeyCache = deps.extras["key_cache"]
        principal = await cache.lookup(deps, api_key)
        if principal is not None:
            request.state.principal = principal
            return principal
    raise missing_key_error()
