"""`GET /v1/operations`: one service's health for the console's operations screen — readiness
(the checks of /readyz), each consumer group's lag per topic, the dead letters waiting in its
topics' DLQs, the outbox backlog and parked rows, and what its background workers set aside — and
`POST /v1/operations/dead-letters/{topic}/replay` (admin), which is `leadkit.admin replay-dlq`
from the browser. Every service answers both, for itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import structlog
from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.db import Connection
from leadkit.health import readiness_checks
from leadkit.kafka_groups import REPLAY_GROUP, replay_dead_letters
from leadkit.operations_kafka import kafka_picture
from leadkit.service import Deps, get_deps
from leadkit.topics import TopicNames

log = structlog.get_logger(__name__)
operations_router = APIRouter(
    prefix="/v1/operations", tags=["operations"], dependencies=[Depends(require_role("viewer"))]
)

_OUTBOX = """
SELECT count(*) FILTER (WHERE published_at IS NULL AND parked_at IS NULL) AS pending,
       count(*) FILTER (WHERE parked_at IS NOT NULL AND published_at IS NULL) AS parked,
       min(created_at) FILTER (WHERE published_at IS NULL AND parked_at IS NULL) AS oldest_pending
FROM outbox WHERE published_at IS NULL
"""
_QUARANTINE = """
SELECT worker, count(*) AS items, min(first_failed_at) AS since
FROM quarantine GROUP BY worker ORDER BY worker
"""


class ConsumerLag(BaseModel):
    group: str
    topic: str
    partitions: int
    lag: int = Field(description="Messages the group has not committed past")


class DeadLetters(BaseModel):
    topic: str = Field(description="The original topic; its dead letters are in `<topic>.dlq`")
    waiting: int = Field(description="Dead letters not yet replayed (by any service consuming the topic)")


class OutboxRead(BaseModel):
    pending: int = Field(description="Rows the relay has not published yet")
    parked: int = Field(description="Rows Kafka refused for good (leadkit.admin outbox)")
    oldest_pending_seconds: float | None


class QuarantineRead(BaseModel):
    worker: str
    items: int
    since: datetime


class OperationsRead(BaseModel):
    service: str
    ready: bool
    checks: dict[str, Any]
    consumers: list[ConsumerLag]
    dead_letters: list[DeadLetters]
    kafka_error: str | None = Field(
        description="Why lag and dead letters could not be read, if they could not"
    )
    outbox: OutboxRead
    quarantine: list[QuarantineRead]


class Replayed(BaseModel):
    topic: str
    replayed: int


async def _outbox(conn: Connection, now: datetime) -> OutboxRead:
    row = await conn.fetchrow(_OUTBOX)
    assert row is not None  # an aggregate answers one row
    oldest = row["oldest_pending"]
    return OutboxRead(
        pending=row["pending"],
        parked=row["parked"],
        oldest_pending_seconds=None if oldest is None else round((now - oldest).total_seconds(), 1),
    )


async def _quarantine(conn: Connection) -> list[QuarantineRead]:
    if await conn.fetchval("SELECT to_regclass('quarantine')") is None:
        return []  # a service without background workers that set items aside
    return [QuarantineRead(**dict(row)) for row in await conn.fetch(_QUARANTINE)]


@operations_router.get(
    "", response_model=OperationsRead, summary="This service's readiness, lag, DLQs, outbox and quarantine"
)
async def operations(deps: Annotated[Deps, Depends(get_deps)]) -> OperationsRead:
    checks = await readiness_checks(deps)
    names = TopicNames(deps.settings.leadloop.topic_prefix)
    lags: list[ConsumerLag] = []
    letters: list[DeadLetters] = []
    kafka_error = None
    try:
        found_lags, found_letters = await kafka_picture(
            bootstrap_servers=deps.settings.leadloop.kafka_bootstrap_servers,
            names=names,
            groups=[(c.group_id, c.topics) for c in deps.consumers],
        )
        lags = [
            ConsumerLag(group=x.group, topic=x.topic, partitions=x.partitions, lag=x.lag) for x in found_lags
        ]
        letters = [DeadLetters(topic=x.topic, waiting=x.waiting) for x in found_letters]
    except (KafkaError, OSError) as error:
        kafka_error = f"Kafka did not answer ({type(error).__name__})"
    async with deps.pool.acquire() as conn:
        outbox = await _outbox(conn, deps.clock())
        quarantine = await _quarantine(conn)
    return OperationsRead(
        service=deps.service,
        ready=all(checks.values()),
        checks=checks,
        consumers=lags,
        dead_letters=letters,
        kafka_error=kafka_error,
        outbox=outbox,
        quarantine=quarantine,
    )


@operations_router.post(
    "/dead-letters/{topic}/replay",
    response_model=Replayed,
    dependencies=[Depends(require_role("admin"))],
    summary="Replay a topic's dead letters: each runs again once, where it failed",
    responses={404: {"description": "This service consumes no such topic"}},
)
async def replay(
    topic: Annotated[str, Path(max_length=200)], deps: Annotated[Deps, Depends(get_deps)]
) -> Replayed:
    consumed = {t for c in deps.consumers for t in c.topics}
    if topic not in consumed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{deps.service} consumes no topic {topic!r}")
    try:
        count = await replay_dead_letters(
            bootstrap_servers=deps.settings.leadloop.kafka_bootstrap_servers,
            topics=TopicNames(deps.settings.leadloop.topic_prefix),
            topic=topic,
            group=REPLAY_GROUP,
        )
    except (KafkaError, OSError) as error:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="Kafka did not answer") from error
    log.info("dead letters replayed", topic=topic, replayed=count)
    return Replayed(topic=topic, replayed=count)
