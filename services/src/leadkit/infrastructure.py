"""Which errors are the infrastructure's, not the handler's.

A database that restarts, refuses connections, or drops them mid-transaction says nothing about
the event being handled: the same work will succeed once it is back. Such errors are retried
without limit and never count toward dead-lettering; only the handler's own errors do. HTTP
routes answer them with 503 (`leadkit.unavailable`).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes and codes that mean "the server, not the statement": connection exceptions
# (08…), shutting down or starting up (57P01-57P03), out of connections or resources (53…).
_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "53")


def is_infrastructure_error(error: BaseException) -> bool:
    return any(_is_infrastructure(cause) for cause in _chain(error))


def _is_infrastructure(error: BaseException) -> bool:
    if isinstance(error, OSError | TimeoutError | PoolTimeout):  # refused, reset, unreachable, pool
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_SQLSTATE_PREFIXES):
        return True
    # asyncpg's InterfaceError carries no SQLSTATE: "connection is closed", or, for a pooled
    # connection the server dropped, "connection has been released back to the pool"
    if type(error).__name__ == "InterfaceError" and any(
        words in str(error) for words in ("closed", "released back to the pool")
    ):
        return True
    # a connection the server dropped in the middle of an operation: "cannot switch to state 12;
    # another operation (2) is in progress" (seen while PostgreSQL restarts under load)
    return type(error).__name__ == "InternalClientError" and "another operation" in str(error)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (SQLAlchemy's `.orig`) and what caused it, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [
            orig if isinstance(orig, BaseException) else None,
            current.__cause__,
            current.__context__,
        ]
