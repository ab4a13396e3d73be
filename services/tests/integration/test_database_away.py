"""A request that draws a connection the database has dropped gets 503 and Retry-After, and the
pool recovers for the next request: pooled connections are not pinged before use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from leadkit.db import create_engine
from leadkit.unavailable import answer_503_while_the_database_is_away

DATABASE_URL = "postgresql+asyncpg://leadkit:leadkit@127.0.0.1:5432/leadkit_test?ssl=disable"


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DATABASE_URL, pool_size=1)
    yield engine
    await engine.dispose()


def app_over(engine: AsyncEngine) -> FastAPI:
    app = FastAPI()
    answer_503_while_the_database_is_away(app)

    @app.get("/now")
    async def now() -> dict[str, str]:
        async with engine.connect() as conn:
            return {"now": str(await conn.scalar(text("SELECT now()")))}

    return app


async def test_a_dropped_connection_is_a_503_to_retry_and_the_next_request_works(engine: AsyncEngine) -> None:
    transport = httpx.ASGITransport(app=app_over(engine), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/now")).status_code == 200
        async with engine.connect() as conn:
            pooled_pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        killer = create_engine(DATABASE_URL, pool_size=1)
        try:
            async with killer.connect() as conn:  # what a database restart does to the pool
                assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pooled_pid})
        finally:
            await killer.dispose()

        away = await client.get("/now")
        assert away.status_code == 503, away.text
        assert away.headers["retry-after"] == "1"
        assert "retry" in away.json()["detail"]
        assert (await client.get("/now")).status_code == 200


async def test_a_database_that_refuses_connections_is_a_503() -> None:
    refused = create_engine("postgresql+asyncpg://leadkit:leadkit@127.0.0.1:1/leadkit_test?ssl=disable")
    transport = httpx.ASGITransport(app=app_over(refused), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/now")
    finally:
        await refused.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
