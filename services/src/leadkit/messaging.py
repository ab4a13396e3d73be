"""The outbox and inbox tables, defined once here and added to each service's metadata.

Invariants 2 and 3 of DESIGN.md: a service writes events only as outbox rows in the same
transaction as its state, and claims every consumed event id in the inbox in that transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Executable,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from lead_schemas import Envelope

Headers = list[tuple[str, str]]
# Committed outbox rows wake the relay (whichever instance holds it) through this channel; it
# polls as well, but only as a safety net, so an idle service does not query its outbox 20 times a second.
OUTBOX_CHANNEL = "leadloop_outbox"
_NOTIFY = select(func.pg_notify(OUTBOX_CHANNEL, ""))


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("topic", Text, nullable=False, comment="logical topic; the relay adds the prefix"),
        Column("key", Text, nullable=True),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column(
            "parked_at",
            DateTime(timezone=True),
            nullable=True,
            comment="Kafka refused the row for good; the relay skips it (leadkit.admin outbox)",
        ),
        Column("error", Text, nullable=True, comment="why the row was parked"),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("topic", Text, nullable=False),
        Column("status", Text, nullable=False, comment="processed | dead_lettered"),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column(
            "replay",
            Text,
            nullable=True,
            comment="the replay-dlq run that last retried a dead-lettered event",
        ),
    )
    return MessagingTables(outbox=outbox, inbox=inbox)


def event_headers(event: Envelope) -> Headers:
    headers = [
        ("event_id", str(event.id)),
        ("event_type", event.type),
        ("correlation_id", str(event.correlation_id)),
    ]
    if event.causation_id is not None:
        headers.append(("causation_id", str(event.causation_id)))
    return headers


class Outbox:
    """Writes events as outbox rows inside the caller's transaction; the relay publishes them."""

    def __init__(self, session: AsyncSession, tables: MessagingTables) -> None:
        self._session = session
        self._insert = tables.outbox.insert()
        self._notified = False

    async def add(self, *events: Envelope) -> None:
        for event in events:
            await self.add_raw(
                topic=event.type,
                key=str(event.lead_id),
                payload=event.model_dump_json().encode(),
                headers=event_headers(event),
            )

    async def add_raw(self, *, topic: str, key: str | None, payload: bytes, headers: Headers) -> None:
        # parameters, not .values(): building a statement per event costs more than running it
        await self._session.execute(
            self._insert,
            {"topic": topic, "key": key, "payload": payload, "headers": [list(h) for h in headers]},
        )
        if not self._notified:  # delivered at commit, and not at all on rollback
            await self._session.execute(_NOTIFY)
            self._notified = True


# The header `leadkit.admin replay-dlq` puts on every message it re-publishes: a fresh token per
# replayed message, so a dead-lettered event runs again once per deliberate replay and never on
# a mere redelivery.
REPLAY_HEADER = "leadloop.replay"


@cache
def _claim_statement(inbox: Table, status: str) -> Executable:
    """Built once per table and status: constructing it per event showed up in profiles."""
    stmt = insert(inbox).values(
        event_id=bindparam("event_id"), topic=bindparam("topic"), status=status, replay=bindparam("replay")
    )
    if status == "processed":
        # a dead-lettered event runs again only for a replay token it has not run for yet
        stmt = stmt.on_conflict_do_update(
            index_elements=[inbox.c.event_id],
            set_={"status": "processed", "received_at": func.now(), "replay": stmt.excluded.replay},
            where=(inbox.c.status == "dead_lettered")
            & stmt.excluded.replay.is_not(None)
            & inbox.c.replay.is_distinct_from(stmt.excluded.replay),
        )
    else:
        # a replay that failed again is remembered under its own token
        stmt = stmt.on_conflict_do_update(
            index_elements=[inbox.c.event_id],
            set_={"received_at": func.now(), "replay": stmt.excluded.replay},
            where=inbox.c.status == "dead_lettered",
        )
    return stmt.returning(inbox.c.event_id)


async def claim(
    session: AsyncSession,
    tables: MessagingTables,
    *,
    event_id: UUID,
    topic: str,
    status: Literal["processed", "dead_lettered"] = "processed",
    replay: str | None = None,
) -> bool:
    """Record `event_id` as handled; False when it already was (a redelivery: do nothing).

    A dead-lettered event stays skipped when Kafka redelivers it; it runs again only when
    `replay` carries a replay token it has not run for (`leadkit.admin replay-dlq`).
    """
    result = await session.execute(
        _claim_statement(tables.inbox, status), {"event_id": event_id, "topic": topic, "replay": replay}
    )
    return result.first() is not None
