"""The outbox and inbox tables, defined once here and added to each service's metadata.

Invariants 2 and 3 of DESIGN.md: a service writes events only as outbox rows in the same
transaction as its state, and claims every consumed event id in the inbox in that transaction.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lead_schemas import Envelope
from lead_schemas.privacy import history_of, history_twin
from leadkit.db import Connection

Headers = list[tuple[str, str]]
# Committed outbox rows wake the relay of another instance through this channel (the relay in
# the writer's own process is woken in memory instead); it polls as well, but only as a safety net.
OUTBOX_CHANNEL = "leadloop_outbox"


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
        # the relay's retention sweep deletes by age: without it each sweep reads the whole table
        Index("ix_outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")),
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


@dataclass(frozen=True)
class OutboxRow:
    topic: str
    key: str | None
    payload: bytes
    headers: Headers


class Outbox:
    """The events of one transaction, collected as they are decided and written in one statement
    (`write_outbox`) by whoever owns the transaction, just before it commits."""

    def __init__(self) -> None:
        self.rows: list[OutboxRow] = []

    def add(self, *events: Envelope) -> None:
        """Each event on its topic; an event of a personal topic also as its history twin, which
        carries no personal data (`lead_schemas.privacy`), in the same transaction."""
        for event in events:
            self.rows.append(
                OutboxRow(
                    event.type, str(event.lead_id), event.model_dump_json().encode(), event_headers(event)
                )
            )
            twin = history_twin(event)
            if twin is not None:
                self.rows.append(
                    OutboxRow(
                        history_of(event.type),
                        str(twin.lead_id),
                        twin.model_dump_json().encode(),
                        event_headers(twin),
                    )
                )

    def add_raw(self, *, topic: str, key: str | None, payload: bytes, headers: Headers) -> None:
        self.rows.append(OutboxRow(topic, key, payload, headers))

    def __len__(self) -> int:
        return len(self.rows)


_INSERT_OUTBOX = """
INSERT INTO outbox (topic, key, payload, headers)
SELECT topic, key, payload, headers::jsonb
FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[]) AS u(topic, key, payload, headers)
"""
# NOTIFY is delivered at commit and not at all on rollback; one per transaction
_INSERT_OUTBOX_AND_NOTIFY = f"""
WITH written AS ({_INSERT_OUTBOX} RETURNING 1)
SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM written LIMIT 1) AS any_row
"""


@asynccontextmanager
async def outboxed_transaction(connection: Connection, *, notify: bool) -> AsyncIterator[Outbox]:
    """A transaction on an asyncpg connection whose outbox is written just before it commits
    (the asyncpg twin of `Deps.transaction`, for workers on the hot path)."""
    outbox = Outbox()
    async with connection.transaction():
        yield outbox
        await write_outbox(connection, outbox.rows, notify=notify)


async def write_outbox(connection: Connection, rows: Sequence[OutboxRow], *, notify: bool) -> None:
    """Every row in one statement. `notify` wakes a relay in another process; leave it off when
    the writer's own process holds the active relay (wake that in memory)."""
    if not rows:
        return
    await connection.execute(
        _INSERT_OUTBOX_AND_NOTIFY if notify else _INSERT_OUTBOX,
        [row.topic for row in rows],
        [row.key for row in rows],
        [row.payload for row in rows],
        [json.dumps(row.headers) for row in rows],
    )


# The header `leadkit.admin replay-dlq` puts on every message it re-publishes: a fresh token per
# replayed message, so a dead-lettered event runs again once per deliberate replay and never on
# a mere redelivery.
REPLAY_HEADER = "leadloop.replay"


@dataclass(frozen=True)
class InboxClaim:
    event_id: UUID
    topic: str
    replay: str | None = None


# A dead-lettered event runs again only for a replay token it has not run for yet.
_CLAIM_PROCESSED = """
INSERT INTO inbox (event_id, topic, status, replay)
SELECT event_id, topic, 'processed', replay
FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(event_id, topic, replay)
ON CONFLICT (event_id) DO UPDATE
SET status = 'processed', received_at = now(), replay = excluded.replay
WHERE inbox.status = 'dead_lettered'
  AND excluded.replay IS NOT NULL
  AND inbox.replay IS DISTINCT FROM excluded.replay
RETURNING event_id
"""
# a replay that failed again is remembered under its own token
_CLAIM_DEAD_LETTERED = """
INSERT INTO inbox (event_id, topic, status, replay) VALUES ($1, $2, 'dead_lettered', $3)
ON CONFLICT (event_id) DO UPDATE SET received_at = now(), replay = excluded.replay
WHERE inbox.status = 'dead_lettered'
"""


async def claim(connection: Connection, claims: Sequence[InboxClaim]) -> set[UUID]:
    """Record every event as handled in one statement; the ids that were not already (the rest
    are redeliveries: do nothing for them). Ids must be distinct within one call.

    A dead-lettered event stays skipped when Kafka redelivers it; it runs again only when its
    claim carries a replay token it has not run for (`leadkit.admin replay-dlq`)."""
    if not claims:
        return set()
    rows = await connection.fetch(
        _CLAIM_PROCESSED,
        [c.event_id for c in claims],
        [c.topic for c in claims],
        [c.replay for c in claims],
    )
    return {row["event_id"] for row in rows}


async def claim_dead_lettered(connection: Connection, event: InboxClaim) -> None:
    await connection.execute(_CLAIM_DEAD_LETTERED, event.event_id, event.topic, event.replay)
