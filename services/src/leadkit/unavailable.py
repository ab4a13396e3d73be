"""Answer 503 with Retry-After, not 500, while the database cannot be reached.

Pooled connections are not pinged before each use: the ping cost a round trip on every
transaction, about a tenth of a consumer's CPU per event. A connection that died with a database
restart therefore fails the one request that draws it; SQLAlchemy then drops the pool's stale
connections, and the client is told to retry rather than handed a server error.
"""

from __future__ import annotations

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from leadkit.infrastructure import is_infrastructure_error

log = structlog.get_logger(__name__)
RETRY_AFTER_SECONDS = 1


def database_unavailable() -> JSONResponse:
    return JSONResponse(
        {"detail": "the database is unavailable for a moment; retry"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _on_dbapi_error(request: Request, exc: Exception) -> JSONResponse:
    # a dropped connection, or a server that is shutting down or starting up
    if is_infrastructure_error(exc):
        log.warning("database unavailable", path=request.url.path, error=repr(exc))
        return database_unavailable()
    raise exc


async def _on_unreachable(request: Request, exc: Exception) -> JSONResponse:
    # asyncpg raises the socket's own error when the database refuses a connection or does not
    # answer in time; the pool raises its own timeout when every connection is busy
    log.warning("database unreachable", path=request.url.path, error=repr(exc))
    return database_unavailable()


def answer_503_while_the_database_is_away(app: FastAPI) -> None:
    # through SQLAlchemy, and straight from asyncpg on the hot paths
    for driver_error in (
        DBAPIError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    ):
        app.add_exception_handler(driver_error, _on_dbapi_error)
    for unreachable in (ConnectionError, TimeoutError, PoolTimeout):
        app.add_exception_handler(unreachable, _on_unreachable)
