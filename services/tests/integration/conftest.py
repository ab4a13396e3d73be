"""Fixtures of the kit's integration tests: a migrated-by-metadata test database, per-test topics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from kit_support import DATABASE_URL, KAFKA, metadata
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadkit.db import Pool, create_engine, create_pool, session_factory
from leadkit.topic_specs import TopicSpec, create_topics, delete_topics
from leadkit.topics import TopicNames


@pytest.fixture(scope="module")
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DATABASE_URL, pool_size=5)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def pool(engine: AsyncEngine) -> AsyncIterator[Pool]:
    pool = await create_pool(DATABASE_URL, size=5)
    yield pool
    await pool.close()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def topics() -> AsyncIterator[TopicNames]:
    names = TopicNames(f"it-{uuid4().hex[:10]}.")
    specs = [
        TopicSpec(name, 3, 1)
        for name in (
            "lead.captured",
            "lead.captured.dlq",
            "lead.scored",
            "lead.captured.history",
            "lead.scored.history",
        )
    ]
    created = await create_topics(bootstrap_servers=KAFKA, topics=names, specs=specs)
    yield names
    # Each test's topics are its own; left behind, thousands of partitions slow every broker start.
    await delete_topics(bootstrap_servers=KAFKA, names=created)
