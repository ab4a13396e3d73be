"""What the operator commands share: a service's database, reached from a shell."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import asyncpg
import typer
from sqlalchemy.exc import DBAPIError, ProgrammingError

from leadkit.db import create_pool

T = TypeVar("T")


def service_database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else the local default `make up` creates."""
    module = service.replace("-", "_")
    return os.environ.get(
        f"{module.upper()}_DATABASE_URL",
        f"postgresql+asyncpg://{module}:{module}@127.0.0.1:5432/{module}?ssl=disable",
    )


ServiceArgument = Annotated[str, typer.Argument(help="capture, scoring, routing, sla-monitor or reporting")]


def against_database(service: str, work: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    """Run `work` on the service's database; an unreachable or unmigrated one is one clear line."""
    try:
        return asyncio.run(work(service_database_url(service)))
    except (ProgrammingError, asyncpg.UndefinedTableError):
        typer.echo(f"{service}'s database is not migrated yet: migrate it first (make up)", err=True)
    except (DBAPIError, asyncpg.PostgresError, OSError) as error:
        typer.echo(f"cannot reach {service}'s database ({type(error).__name__}); is it running?", err=True)
    raise typer.Exit(1)


async def on_connection(database_url: str, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Run `work` on one connection of the database (asyncpg, as the services' hot paths)."""
    pool = await create_pool(database_url, size=1)
    try:
        async with pool.acquire() as conn:
            return await work(conn)
    finally:
        await pool.close()
