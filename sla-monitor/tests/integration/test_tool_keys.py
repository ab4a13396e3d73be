"""Sales tools' keys in the kit's key store: the migration that moved them from `tool_keys` keeps
every row (revoked ones too) with its hash, so a key made before the move still authenticates,
and one made after is stored the same way."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from leadkit import key_store
from leadkit.api_keys import AmbiguousKey
from leadkit.db import Pool
from leadkit.testing import database_url_for_tests
from sla_monitor.keys import create_tool_key

ROOT = Path(__file__).resolve().parents[3]
BEFORE_THE_MOVE = "54707d153472"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _alembic(*args: str) -> None:
    url = database_url_for_tests("sla_monitor")
    subprocess.run(
        [str(ROOT / ".venv/bin/alembic"), "-c", "alembic.ini", *args],
        cwd=ROOT / "sla-monitor",
        env=os.environ | {"SLA_MONITOR_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )


async def test_the_move_to_the_kit_store_keeps_every_key(pool: Pool) -> None:
    active, revoked = uuid4(), uuid4()
    key = f"ll_sla_old_{uuid4().hex}"
    _alembic("downgrade", BEFORE_THE_MOVE)
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO tool_keys (id, name, key_hash, prefix, scopes, created_at, revoked_at) VALUES "
                "($1, 'crm', $2, $3, '{progress}', $5, NULL), ($4, 'old', $6, $7, '{progress}', $5, $5)",
                active,
                key_store.hash_key(key),
                key[:19],
                revoked,
                NOW,
                uuid4().hex,
                f"ll_sla_gone_{uuid4().hex[:8]}",
            )
    finally:
        _alembic("upgrade", "head")
    async with pool.acquire() as conn:
        found = await key_store.find_key(conn, key)
        kept = {k.id: k for k in await key_store.list_keys(conn)}
    assert found is not None
    assert (found.id, found.name, found.scopes) == (active, "crm", frozenset({"progress"}))
    assert kept[revoked].revoked_at == NOW
    assert kept[active].revoked_at is None


async def test_a_tool_key_is_found_by_its_text_until_revoked(pool: Pool) -> None:
    async with pool.acquire() as conn:
        key_id, key = await create_tool_key(conn, name=f"Outreach {uuid4().hex[:4]}", now=NOW)
        found = await key_store.find_key(conn, key)
        assert found is not None
        assert (found.id, found.scopes, found.source) == (key_id, frozenset({"progress"}), None)
        assert key.startswith(found.prefix)
        assert key.startswith("ll_sla_outreach")
        assert await key_store.revoke_key(conn, found.prefix, now=NOW) == 1
        assert await key_store.find_key(conn, key) is None
        assert await key_store.revoke_key(conn, str(key_id), now=NOW) == 0


async def test_a_handle_naming_two_keys_revokes_neither(pool: Pool) -> None:
    handle = f"ll_sla_twin_{uuid4().hex[:6]}"
    async with pool.acquire() as conn:
        for _ in range(2):
            await conn.execute(
                "INSERT INTO api_keys (id, name, key_hash, prefix, scopes) "
                "VALUES ($1, 'twin', $2, $3, '{progress}')",
                uuid4(),
                uuid4().hex,
                handle,
            )
        with pytest.raises(AmbiguousKey, match="names 2 active keys"):
            await key_store.revoke_key(conn, handle, now=NOW)
        assert [k.revoked_at for k in await key_store.list_keys(conn) if k.prefix == handle] == [None, None]
