"""capture's API keys on the real database (the kit's key store): made with a prefix that tells them
apart and the scopes asked for, revoked by it, and a revoke that would name two keys refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from capture.keys import create_key
from leadkit import key_store
from leadkit.api_keys import AmbiguousKey
from leadkit.db import Pool

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_two_keys_of_one_source_are_revoked_one_by_one(pool: Pool) -> None:
    source = f"auditrotation{uuid4().hex[:6]}"
    async with pool.acquire() as conn:
        (first, first_key), (second, _) = [
            await create_key(conn, name="rotation", source=source, now=NOW, scopes=["read", "ingest"])
            for _ in range(2)
        ]
        assert first.prefix != second.prefix
        assert first_key.startswith(first.prefix)
        stored_hash = await conn.fetchval("SELECT key_hash FROM api_keys WHERE id = $1", first.id)
        assert stored_hash == key_store.hash_key(first_key)  # only the hash is stored
        assert first.scopes == {"ingest", "read"}
        assert await key_store.revoke_key(conn, first.prefix, now=NOW) == 1
        revoked = {k.id: k.revoked_at for k in await key_store.list_keys(conn) if k.source == source}
        assert await key_store.find_key(conn, first_key) is None
    assert revoked == {first.id: NOW, second.id: None}  # rotating a key keeps the new one working


async def test_unknown_scopes_are_refused_before_anything_is_stored(pool: Pool) -> None:
    source = f"scopes{uuid4().hex[:6]}"
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="scopes are ingest, read, erase, admin"):
            await create_key(conn, name="bad", source=source, now=NOW, scopes=["ingest", "sudo"])
        assert [k for k in await key_store.list_keys(conn) if k.source == source] == []


async def test_a_prefix_naming_two_active_keys_revokes_neither(pool: Pool) -> None:
    legacy = f"ll_{uuid4().hex[:9]}"
    async with pool.acquire() as conn:
        for _ in range(2):  # keys made when a prefix was the key's first 12 characters
            await conn.execute(
                "INSERT INTO api_keys (id, name, source, key_hash, prefix, scopes) "
                "VALUES ($1, 'old', 'old', $2, $3, '{ingest}')",
                uuid4(),
                uuid4().hex,
                legacy,
            )
        with pytest.raises(AmbiguousKey, match="names 2 active keys"):
            await key_store.revoke_key(conn, legacy, now=NOW)
        rows = [k for k in await key_store.list_keys(conn) if k.prefix == legacy]
    assert [row.revoked_at for row in rows] == [None, None]
