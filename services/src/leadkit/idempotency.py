"""Idempotency: the first answer to a key, replayed for every retry with that key.

The key is claimed in the same transaction as the work it guards. A concurrent retry blocks on
the claim until the first transaction ends, then replays its answer, so racing retries never do
the work twice. Each service that takes keys adds `idempotency_table` to its metadata.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
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
)
from sqlalchemy.dialects.postgresql import JSONB

from leadkit.db import Connection

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


# an expired key is free again
_CLAIM = """
INSERT INTO idempotency_keys AS k (scope, key, request_hash, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (scope, key) DO UPDATE SET
    request_hash = excluded.request_hash, status_code = NULL, response = NULL,
    created_at = excluded.created_at, expires_at = excluded.expires_at
WHERE k.expires_at < excluded.created_at
RETURNING key
"""
_EARLIER = """
SELECT request_hash, status_code, response::text AS response FROM idempotency_keys
WHERE scope = $1 AND key = $2
"""
_REMEMBER = """
UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb WHERE scope = $1 AND key = $2
"""


async def claim_key(
    connection: Connection,
    *,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> Replay | None:
    """None when this request owns the key (go on, then `remember`); the earlier answer otherwise.
    `connection` is in the transaction that does the work (a session's: `leadkit.db.raw_connection`)."""
    if await connection.fetchval(_CLAIM, scope, key, fingerprint, now, now + ttl) is not None:
        return None
    row = await connection.fetchrow(_EARLIER, scope, key)
    assert row is not None  # the claim found the key
    if row["request_hash"] != fingerprint:
        raise KeyReused(key)
    assert row["status_code"] is not None  # written in the claiming transaction
    assert row["response"] is not None
    return Replay(status_code=row["status_code"], body=json.loads(row["response"]))


async def remember(
    connection: Connection, *, scope: str, key: str, status_code: int, body: dict[str, Any]
) -> None:
    await connection.execute(_REMEMBER, scope, key, status_code, json.dumps(body))


def expire_keys_worker(table: Table, *, every_seconds: float = 600) -> Callable[[Deps], Awaitable[None]]:
    """A service worker that deletes expired keys (they are also reclaimed when reused)."""

    async def run(deps: Deps) -> None:
        while True:
            async with deps.sessions.begin() as session:
                await session.execute(delete(table).where(table.c.expires_at < deps.clock()))
            await asyncio.sleep(every_seconds)

    return run


async def release_key(connection: Connection, *, scope: str, key: str) -> None:
    """Give a claimed key back when its work was refused: the same request, fixed, may come again."""
    await connection.execute("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2", scope, key)
