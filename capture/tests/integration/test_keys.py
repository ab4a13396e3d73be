"""capture's API keys on the real database: made with a prefix that tells them apart, revoked by
it, and a revoke that would name two keys refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capture.db.tables import ApiKey
from capture.keys import create_key, hash_key, revoke_key
from leadkit.api_keys import AmbiguousKey

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_two_keys_of_one_source_are_revoked_one_by_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = f"auditrotation{uuid4().hex[:6]}"
    async with sessions.begin() as session:
        (first, first_key), (second, _) = [
            await create_key(session, name="rotation", source=source, now=NOW, scopes=["ingest", "read"])
            for _ in range(2)
        ]
    assert first.prefix != second.prefix
    assert first_key.startswith(first.prefix)
    assert first.key_hash == hash_key(first_key)  # only the hash is stored
    assert first.scopes == ["ingest", "read"]
    async with sessions.begin() as session:
        assert await revoke_key(session, prefix_or_id=first.prefix, now=NOW) == 1
    async with sessions() as session:
        revoked = {
            row.id: row.revoked_at
            for row in await session.scalars(select(ApiKey).where(ApiKey.source == source))
        }
    assert revoked == {first.id: NOW, second.id: None}  # rotating a key keeps the new one working


async def test_a_prefix_naming_two_active_keys_revokes_neither(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    legacy = f"ll_{uuid4().hex[:9]}"
    async with sessions.begin() as session:
        for _ in range(2):  # keys made when a prefix was the key's first 12 characters
            session.add(
                ApiKey(
                    id=uuid4(),
                    name="old",
                    source="old",
                    key_hash=uuid4().hex,
                    prefix=legacy,
                    scopes=["ingest"],
                )
            )
    with pytest.raises(AmbiguousKey, match="names 2 active keys"):
        async with sessions.begin() as session:
            await revoke_key(session, prefix_or_id=legacy, now=NOW)
    async with sessions() as session:
        rows = (await session.scalars(select(ApiKey).where(ApiKey.prefix == legacy))).all()
    assert [row.revoked_at for row in rows] == [None, None]
