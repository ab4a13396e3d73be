"""capture's integration tests run on its real PostgreSQL test database (migrated with Alembic),
with a pool for the hot paths and sessions for the ORM ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadkit.db import Pool, create_engine, create_pool, session_factory
from leadkit.testing import database_url_for_tests, migrate_test_database

ROOT = Path(__file__).resolve().parents[3]
DATABASE_URL = database_url_for_tests("capture")


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[Pool]:
    migrate_test_database(ROOT, "capture")
    pool = await create_pool(DATABASE_URL, size=3)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def engine(pool: Pool) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DATABASE_URL, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)
