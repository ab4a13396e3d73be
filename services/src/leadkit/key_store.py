"""The one API-key store every service that issues keys uses (capture's per-source keys, sla-monitor's
sales-tool keys): a key names what it is for and carries scopes; only its SHA-256 is kept — keys
are long random strings, so a slow password hash would buy nothing and cost every request.

Key text and prefixes are `leadkit.api_keys` (pure); this module is the table and its statements.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from asyncpg import Record
from sqlalchemy import Column, DateTime, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as SqlUUID

from leadkit.api_keys import AmbiguousKey, new_key
from leadkit.db import Connection


def api_keys_table(metadata: MetaData, *, scopes_comment: str) -> Table:
    return Table(
        "api_keys",
        metadata,
        Column("id", SqlUUID(as_uuid=True), primary_key=True),
        Column("name", Text, nullable=False),
        Column("source", Text, comment="capture: touches posted with this key get this source"),
        Column("key_hash", Text, nullable=False, unique=True, comment="SHA-256 of the key; never the key"),
        Column("prefix", Text, nullable=False, comment="the key's first characters, to tell keys apart"),
        Column("scopes", ARRAY(Text), nullable=False, comment=scopes_comment),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("revoked_at", DateTime(timezone=True)),
    )


_COLUMNS = "id, name, source, prefix, scopes, created_at, revoked_at"
_CREATE = """
INSERT INTO api_keys (id, name, source, key_hash, prefix, scopes, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_FIND = f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
_LIST = f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, id"
_NAMED = "SELECT count(*) FROM api_keys WHERE (prefix = $1 OR id = $2) AND revoked_at IS NULL"
_REVOKE = """
UPDATE api_keys SET revoked_at = $3 WHERE (prefix = $1 OR id = $2) AND revoked_at IS NULL RETURNING id
"""


@dataclass(frozen=True)
class StoredKey:
    """A key as the store holds it: everything but the key itself."""

    id: UUID
    name: str
    source: str | None
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _stored(row: Record) -> StoredKey:
    return StoredKey(
        id=row["id"],
        name=row["name"],
        source=row["source"],
        prefix=row["prefix"],
        scopes=frozenset(row["scopes"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def create_key(
    conn: Connection,
    *,
    name: str,
    scopes: Sequence[str],
    kind: Sequence[str],
    now: datetime,
    source: str | None = None,
) -> tuple[StoredKey, str]:
    """A new key, `ll_<kind…>_<random>`: what is stored, and the key itself, shown this once."""
    key, prefix = new_key(*kind)
    stored = StoredKey(uuid4(), name, source, prefix, frozenset(scopes), now, None)
    await conn.execute(_CREATE, stored.id, name, source, hash_key(key), prefix, list(scopes), now)
    return stored, key


async def find_key(conn: Connection, key: str) -> StoredKey | None:
    """The active key this is, or None."""
    row = await conn.fetchrow(_FIND, hash_key(key))
    return None if row is None else _stored(row)


async def list_keys(conn: Connection) -> list[StoredKey]:
    return [_stored(row) for row in await conn.fetch(_LIST)]


async def revoke_key(conn: Connection, prefix_or_id: str, *, now: datetime) -> int:
    """Revoke the one active key `prefix_or_id` names (0: none); AmbiguousKey when it names several."""
    key_id = None
    with contextlib.suppress(ValueError):
        key_id = UUID(prefix_or_id)
    async with conn.transaction():
        named = await conn.fetchval(_NAMED, prefix_or_id, key_id)
        if named > 1:
            raise AmbiguousKey(prefix_or_id, named)
        return len(await conn.fetch(_REVOKE, prefix_or_id, key_id, now))
