"""Console keys: one key, one role, accepted by all five services. Each service keeps the same
row (id, role, SHA-256 of the key) in its own `console_keys` table — no service reads another's
database — and `leadloop console-keys` writes it to each (`leadkit.console_keys_cli`).

Like the tool keys (`leadkit.key_store`), only the key's SHA-256 is kept: keys are long random
strings, so a slow password hash would buy nothing and cost every request.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from asyncpg import Record
from sqlalchemy import Boolean, Column, DateTime, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID as SqlUUID

from leadkit.api_keys import AmbiguousKey, new_key, slug_of
from leadkit.console_roles import Role, parse_role
from leadkit.db import Connection
from leadkit.key_store import hash_key


def console_keys_table(metadata: MetaData) -> Table:
    return Table(
        "console_keys",
        metadata,
        Column("id", SqlUUID(as_uuid=True), primary_key=True, comment="the same id at every service"),
        Column("name", Text, nullable=False, comment="who or what holds the key"),
        Column("role", Text, nullable=False, comment="viewer | operator | admin"),
        Column("personal_data", Boolean, nullable=False, comment="may read personal data unmasked"),
        Column("key_hash", Text, nullable=False, unique=True, comment="SHA-256 of the key; never the key"),
        Column("prefix", Text, nullable=False, comment="the key's first characters, to tell keys apart"),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
    )


@dataclass(frozen=True)
class ConsoleKey:
    """A console key as every service holds it: everything but the key itself."""

    id: UUID
    name: str
    role: Role
    personal_data: bool
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewConsoleKey:
    stored: ConsoleKey
    key_hash: str
    key: str  # shown once, stored nowhere


def new_console_key(
    *, key_id: UUID, name: str, role: Role, personal_data: bool, now: datetime
) -> NewConsoleKey:
    key, prefix = new_key("console", slug_of(name, default="key"))
    return NewConsoleKey(ConsoleKey(key_id, name, role, personal_data, prefix, now, None), hash_key(key), key)


_COLUMNS = "id, name, role, personal_data, prefix, created_at, revoked_at"
_STORE = """
INSERT INTO console_keys (id, name, role, personal_data, key_hash, prefix, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_FIND = f"SELECT {_COLUMNS} FROM console_keys WHERE key_hash = $1 AND revoked_at IS NULL"
_LIST = f"SELECT {_COLUMNS} FROM console_keys ORDER BY created_at, id"
_NAMED = f"SELECT {_COLUMNS} FROM console_keys WHERE prefix = $1 OR id = $2"
_REVOKE = "UPDATE console_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
_FORGET = "DELETE FROM console_keys WHERE id = $1"


def _console_key(row: Record) -> ConsoleKey:
    return ConsoleKey(
        id=row["id"],
        name=row["name"],
        role=parse_role(row["role"]),
        personal_data=row["personal_data"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def store_key(conn: Connection, new: NewConsoleKey) -> None:
    key = new.stored
    await conn.execute(
        _STORE, key.id, key.name, key.role, key.personal_data, new.key_hash, key.prefix, key.created_at
    )


async def forget_key(conn: Connection, key_id: UUID) -> None:
    """Undo a `store_key` (a create that could not reach every service makes nothing)."""
    await conn.execute(_FORGET, key_id)


async def find_key(conn: Connection, key: str) -> ConsoleKey | None:
    """The active console key this is, or None."""
    row = await conn.fetchrow(_FIND, hash_key(key))
    return None if row is None else _console_key(row)


async def list_keys(conn: Connection) -> list[ConsoleKey]:
    return [_console_key(row) for row in await conn.fetch(_LIST)]


async def named_key(conn: Connection, prefix_or_id: str) -> ConsoleKey | None:
    """The one key (active or revoked) a prefix or id names; AmbiguousKey when it names several."""
    key_id = None
    with contextlib.suppress(ValueError):
        key_id = UUID(prefix_or_id)
    rows = await conn.fetch(_NAMED, prefix_or_id, key_id)
    if len(rows) > 1:
        raise AmbiguousKey(prefix_or_id, len(rows))
    return _console_key(rows[0]) if rows else None


async def revoke_key(conn: Connection, key_id: UUID, *, now: datetime) -> bool:
    """Revoke it here; False when it was already revoked (a revoke run again is harmless)."""
    return await conn.execute(_REVOKE, key_id, now) == "UPDATE 1"
