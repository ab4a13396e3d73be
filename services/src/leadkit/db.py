"""Async SQLAlchemy 2 over asyncpg (metadata conventions, engine, sessions), and a plain asyncpg
pool beside it for the hot paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy import MetaData, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Named constraints keep Alembic's autogenerate output stable across machines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No ping before each use (see leadkit.unavailable); connections are renewed every half hour
    # so none outlives a server-side idle timeout by much.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


# The hot paths (inbox claims, handler writes, the outbox, the relay, capture's intake) speak to
# PostgreSQL through asyncpg directly: through SQLAlchemy the same insert cost about twice the
# client CPU. asyncpg prepares each distinct SQL text once per connection and caches it, so the
# statements below are module-level constants, never built per call.
# asyncpg's own types (from asyncpg-stubs); a Record's values stay `Any`, which is why records
# never leave a service's `db/` package: its functions return dataclasses or named tuples
# (a pooled connection is a proxy of one: either may be passed where a connection is taken)
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


def asyncpg_connect_args(url: str) -> dict[str, Any]:
    """asyncpg's connection arguments for a SQLAlchemy `postgresql+asyncpg://` URL."""
    parsed = make_url(url)
    args: dict[str, Any] = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    ssl = parsed.query.get("ssl")
    if ssl is not None:
        args["ssl"] = ssl if isinstance(ssl, str) else ssl[0]
    return args


async def create_pool(url: str, *, size: int) -> Pool:
    # no json codec: every json value goes in as text and is cast in SQL, so statements behave
    # the same on these connections and on a SQLAlchemy session's (`raw_connection`)
    pool: Pool = await asyncpg.create_pool(
        **asyncpg_connect_args(url), min_size=1, max_size=size, reset=_keep_session
    )
    return pool


async def _keep_session(connection: Connection) -> None:
    """Release without asyncpg's default reset, a round trip on every release (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL) that made capture's one-statement request two. leadloop leaves
    none of those behind on a pooled connection: the relay unlistens and unlocks before it gives
    its connection back. asyncpg still rolls back a transaction left open and drops listeners."""


async def raw_connection(session: AsyncSession) -> Connection:
    """The asyncpg connection under a session, inside the session's open transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Connection | None = raw.driver_connection
    assert driver is not None  # an open session's connection has its driver's
    return driver


def columns(rows: Sequence[Sequence[Any]], width: int | None = None) -> list[list[Any]]:
    """Rows as the column arrays that `unnest($1::…[], $2::…[], …)` takes, one per parameter.
    `width` gives no rows their columns too (empty arrays), for a statement that always runs."""
    if not rows and width is not None:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]
