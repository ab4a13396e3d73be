"""Idempotency: the first answer to a key, replayed for every retry with that key.

The key is claimed in the same transaction as the lead it creates. A concurrent retry blocks on
the claim until the first transaction ends, then replays its answer, so racing retries never
create a second lead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import IdempotencyRecord


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: dict[str, Any]


class KeyReused(Exception):
    """The key was first used for a different request."""


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def claim_key(
    session: AsyncSession, *, scope: str, key: str, fingerprint: str, now: datetime, ttl: timedelta
) -> Replay | None:
    """None when this request owns the key (go on, then `remember`); the earlier answer otherwise."""
    table = IdempotencyRecord
    claim = insert(table).values(
        scope=scope, key=key, request_hash=fingerprint, created_at=now, expires_at=now + ttl
    )
    stmt = claim.on_conflict_do_update(
        index_elements=[table.scope, table.key],
        set_={
            "request_hash": fingerprint,
            "status_code": None,
            "response": None,
            "created_at": now,
            "expires_at": now + ttl,
        },
        where=table.expires_at < now,  # an expired key is free again
    ).returning(table.key)
    if (await session.execute(stmt)).first() is not None:
        return None
    row = (await session.execute(select(table).where(table.scope == scope, table.key == key))).scalar_one()
    if row.request_hash != fingerprint:
        raise KeyReused(key)
    assert row.status_code is not None
    assert row.response is not None
    return Replay(status_code=row.status_code, body=row.response)


async def remember(
    session: AsyncSession, *, scope: str, key: str, status_code: int, body: dict[str, Any]
) -> None:
    table = IdempotencyRecord
    await session.execute(
        update(table)
        .where(table.scope == scope, table.key == key)
        .values(status_code=status_code, response=body)
    )
