"""The consumer's dead-letter path (DESIGN.md, invariant 6): an event that failed after its retries
goes to `<topic>.dlq` with the error, through the outbox, and its id is marked dead-lettered in
the inbox in the same transaction (a replay runs it again once: `leadkit.admin replay-dlq`). The
consumer never moves past an event that is neither handled nor dead-lettered: while the database
is away this waits, and gives the batch up only when the service is stopping."""

from __future__ import annotations

import asyncio
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog

from leadkit.db import Pool
from leadkit.messaging import REPLAY_HEADER, InboxClaim, Outbox, claim_dead_lettered, write_outbox
from leadkit.metrics import EVENTS_DEAD_LETTERED
from leadkit.redact import Redactor
from leadkit.supervise import sleep_or_stop
from leadkit.topics import TopicNames, dlq_of

log = structlog.get_logger(__name__)


class BatchAbandoned(Exception):
    """The batch in hand was given up (shutdown during an outage, or a revocation that could not
    wait for it): its transaction rolled back and its offsets are not committed."""


@dataclass(frozen=True)
class DeadLetters:
    service: str
    group_id: str
    pool: Pool
    topics: TopicNames
    redact: Redactor
    notify_relay: Callable[[], bool]
    on_outbox_written: Callable[[], None]
    stopping: asyncio.Event
    backoff_seconds: float

    def headers(self, record: Any, error: BaseException, attempts: int) -> list[tuple[str, str]]:
        """The record's own headers (but a replay token) and what went wrong, redacted."""
        kept = [(name, value.decode("utf-8", "replace")) for name, value in record.headers or ()]
        return [
            *((name, value) for name, value in kept if name != REPLAY_HEADER),
            ("dlq.error", self.redact(f"{type(error).__name__}: {error}")[:2000]),
            ("dlq.traceback", self.redact("".join(traceback.format_exception(error)))[-4000:]),
            ("dlq.original_topic", self.topics.logical(record.topic)),
            ("dlq.partition", str(record.partition)),
            ("dlq.offset", str(record.offset)),
            ("dlq.consumer_group", self.group_id),
            ("dlq.attempts", str(attempts)),
        ]

    async def write(self, record: Any, error: BaseException, attempts: int) -> None:
        """The record on its DLQ and its id dead-lettered in the inbox, in one transaction."""
        topic = self.topics.logical(record.topic)
        event_id = event_id_of(record.value)
        outbox = Outbox()
        outbox.add_raw(
            topic=dlq_of(topic),
            key=record.key.decode("utf-8", "replace") if record.key else None,
            payload=record.value or b"",
            headers=self.headers(record, error, attempts),
        )
        backoff = self.backoff_seconds
        while True:  # never move past an event that is neither handled nor dead-lettered
            try:
                async with self.pool.acquire() as connection, connection.transaction():
                    if event_id is not None:
                        await claim_dead_lettered(connection, InboxClaim(event_id, topic, replay_of(record)))
                    await write_outbox(connection, outbox.rows, notify=self.notify_relay())
                self.on_outbox_written()
                break
            except Exception as exc:
                log.warning(
                    "could not write to the DLQ; retrying", topic=topic, offset=record.offset, error=repr(exc)
                )
                await sleep_or_stop(self.stopping, backoff)
                if self.stopping.is_set():
                    raise BatchAbandoned("stopping before the DLQ row was written") from exc
                backoff = min(backoff * 2, 30.0)
        EVENTS_DEAD_LETTERED.labels(self.service, topic).inc()
        log.error(
            "event dead-lettered",
            topic=topic,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            error=repr(error),
        )


def replay_of(record: Any) -> str | None:
    for name, value in record.headers or ():
        if name == REPLAY_HEADER:
            return bytes(value).decode("utf-8", "replace")
    return None


def event_id_of(value: bytes | None) -> UUID | None:
    """The envelope id of a message that may not be a valid event, when it has one."""
    try:
        decoded = json.loads(value or b"")
        return UUID(str(decoded["id"])) if isinstance(decoded, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
