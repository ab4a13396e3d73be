"""Idempotency: the first answer to a key, replayed for every retry with that key.

The key is claimed in the same transaction as the work it guards. A concurrent retry blocks on
the claim until the first transaction ends, then replays its answer, so racing retries never do
the work twice. Each service that takes keys adds `idempotency_table` to its metadata.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from leadkit.service import Deps


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("scope", Text, nullable=False, comment="api key id, or a platform: google, meta, …"),
        Column("key", Text, nullable=False),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("response", JSONB, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("scope", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


class KeyReused(Exception):
    """The key was first used for a different request."""


def key_reused_error() -> HTTPException:
    return HTTPException(
        422,
        detail=[
            {
                "loc": ["header", "Idempotency-Key"],
                "type": "value_error",
                "msg": "this key was already used for a different request",
            }
        ],
    )


def replay_response(replay: Replay) -> JSONResponse:
    return JSONResponse(replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"})


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def claim_key(
    session: AsyncSession,
    table: Table,
    *,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> Replay | None:
    """None when this request owns the key (go on, then `remember`); the earlier answer otherwise."""
    claim = insert(table).values(
        scope=scope, key=key, request_hash=fingerprint, created_at=now, expires_at=now + ttl
    )
    stmt = claim.on_conflict_do_update(
        index_elements=[table.c.scope, table.c.key],
        set_={
            "request_hash": fingerprint,
            "status_code": None,
            "response": None,
            "created_at": now,
            "expires_at": now + ttl,
        },
        where=table.c.expires_at < now,  # an expired key is free again
    ).returning(table.c.key)
    if (await session.execute(stmt)).first() is not None:
        return None
    row = (await session.execute(select(table).where(table.c.scope == scope, table.c.key == key))).one()
    if row.request_hash != fingerprint:
        raise KeyReused(key)
    assert row.status_code is not None  # written in the claiming transaction
    assert row.response is not None
    return Replay(status_code=row.status_code, body=row.response)


async def remember(
    session: AsyncSession, table: Table, *, scope: str, key: str, status_code: int, body: dict[str, Any]
) -> None:
    await session.execute(
        update(table)
        .where(table.c.scope == scope, table.c.key == key)
        .values(status_code=status_code, response=body)
    )


def expire_keys_worker(table: Table, *, every_seconds: float = 600) -> Callable[[Deps], Awaitable[None]]:
    """A service worker that deletes expired keys (they are also reclaimed when reused)."""

    async def run(deps: Deps) -> None:
        while True:
            async with deps.sessions.begin() as session:
                await session.execute(delete(table).where(table.c.expires_at < deps.clock()))
            await asyncio.sleep(every_seconds)

    return run
