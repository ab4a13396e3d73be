"""Quarantine: a background worker sets a failing item aside and goes on (DESIGN.md, invariant 11).

A worker works in batches (due timers, decaying leads, queued leads, marked days). When a batch
fails for a reason that is not the database or Kafka being away, `guarded_round` works the same
claim again item by item, each in its own transaction: the items that fail alone are recorded
here (the worker, the item, the error, how often) and every later claim passes over them, while
the rest are done. Nothing is lost: a quarantined item stays where it was (its timer pending, its
day marked), so an operator who fixed the cause releases it (`python -m leadkit.admin quarantine
retry SERVICE`) and the next round takes it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import Column, DateTime, Integer, MetaData, PrimaryKeyConstraint, Table, Text, func

from leadkit.db import Connection, Pool
from leadkit.infrastructure import is_infrastructure_error
from leadkit.messaging import Outbox, outboxed_transaction

log = structlog.get_logger(__name__)
T = TypeVar("T")

QUARANTINED = Counter(
    "leadloop_quarantined_total",
    "Items a background worker set aside after they failed alone",
    ["service", "worker"],
)
QUARANTINE_SIZE = Gauge(
    "leadloop_quarantine_items", "Items waiting in quarantine for an operator", ["service", "worker"]
)


def quarantine_table(metadata: MetaData) -> Table:
    return Table(
        "quarantine",
        metadata,
        Column("worker", Text, nullable=False, comment="the background loop, e.g. sla-timers"),
        Column("item", Text, nullable=False, comment="what it claims: a lead id, a day"),
        Column("error", Text, nullable=False, comment="the last failure, type and message"),
        Column("attempts", Integer, nullable=False, server_default="1"),
        Column("first_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("worker", "item"),
    )


_ITEMS = "SELECT item FROM quarantine WHERE worker = $1"
_SET_ASIDE = """
INSERT INTO quarantine (worker, item, error) VALUES ($1, $2, $3)
ON CONFLICT (worker, item) DO UPDATE
SET error = excluded.error, attempts = quarantine.attempts + 1, last_failed_at = now()
"""


@dataclass(frozen=True)
class QuarantineRow:
    worker: str
    item: str
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


@dataclass(frozen=True)
class Quarantine:
    """One worker's quarantine in its service's database."""

    service: str
    worker: str

    async def items(self, conn: Connection) -> list[str]:
        """What this worker's claims pass over (few: each is a failure an operator is told of).
        Read every round, so the gauge follows a release from another process."""
        items = [row["item"] for row in await conn.fetch(_ITEMS, self.worker)]
        QUARANTINE_SIZE.labels(self.service, self.worker).set(len(items))
        return items

    async def set_aside(self, conn: Connection, item: str, error: BaseException) -> None:
        text = f"{type(error).__name__}: {error}"[:2000]
        await conn.execute(_SET_ASIDE, self.worker, item, text)
        QUARANTINED.labels(self.service, self.worker).inc()
        log.error("item quarantined", worker=self.worker, item=item, error=text)


Round = Callable[[Connection, Outbox, list[str]], Awaitable[T]]
Pending = Callable[[Connection, list[str]], Awaitable[Sequence[str]]]
One = Callable[[Connection, Outbox, str], Awaitable[object]]


async def guarded_round(
    pool: Pool,
    quarantine: Quarantine,
    *,
    work: Round[T],
    pending: Pending,
    one: One,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> T | None:
    """`guarded` on a connection of the pool."""
    async with pool.acquire() as conn:
        return await guarded(
            conn, quarantine, work=work, pending=pending, one=one, notify=notify, on_outbox=on_outbox
        )


async def guarded(
    conn: Connection,
    quarantine: Quarantine,
    *,
    work: Round[T],
    pending: Pending,
    one: One,
    notify: bool,
    on_outbox: Callable[[], None] = lambda: None,
) -> T | None:
    """One round of a worker: `work` the batch, passing over quarantined items. If it fails (not
    for the infrastructure: that is the supervisor's, which waits and restarts), work what
    `pending` says the batch held one at a time, and set aside each item that fails alone.
    Returns what `work` returned, or None for a round worked item by item."""
    skip = await quarantine.items(conn)
    try:
        async with outboxed_transaction(conn, notify=notify) as outbox:
            done = await work(conn, outbox, skip)
        if outbox:
            on_outbox()
        return done
    except Exception as error:
        if is_infrastructure_error(error):
            raise
        log.warning("batch failed; working it item by item", worker=quarantine.worker, error=repr(error))
    for item in await pending(conn, skip):
        try:
            async with outboxed_transaction(conn, notify=notify) as outbox:
                await one(conn, outbox, item)
            if outbox:
                on_outbox()
        except Exception as error:
            if is_infrastructure_error(error):
                raise
            await quarantine.set_aside(conn, item, error)
    return None


async def quarantined(conn: Connection, worker: str | None = None) -> list[QuarantineRow]:
    rows = await conn.fetch(
        "SELECT worker, item, error, attempts, first_failed_at, last_failed_at FROM quarantine"
        " WHERE $1::text IS NULL OR worker = $1 ORDER BY first_failed_at, worker, item",
        worker,
    )
    return [QuarantineRow(**dict(row)) for row in rows]


async def release(conn: Connection, worker: str | None, items: Sequence[str] | None) -> int:
    """Hand quarantined items back to their worker: the next round claims them again."""
    rows = await conn.fetch(
        "DELETE FROM quarantine WHERE ($1::text IS NULL OR worker = $1)"
        " AND ($2::text[] IS NULL OR item = ANY($2::text[])) RETURNING item",
        worker,
        list(items) if items is not None else None,
    )
    return len(rows)
