"""The one way a submission becomes a lead, whatever path it came in by: claim the idempotency
key, record spam or capture the lead, remember the answer — all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capture.db.tables import SpamSubmission
from capture.db.tables import idempotency as idempotency_keys
from capture.domain.submission import Submission
from capture.handlers import capture_lead
from leadkit.idempotency import Replay, claim_key, remember
from leadkit.messaging import MessagingTables, Outbox
from leadkit.service import Deps


@dataclass(frozen=True)
class IdempotencyClaim:
    scope: str
    key: str
    fingerprint: str
    ttl: timedelta


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


async def accept(
    deps: Deps,
    submission: Submission,
    *,
    correlation_id: UUID,
    idempotency: IdempotencyClaim | None = None,
    spam: str | None = None,
    ip: str | None = None,
    raw: dict[str, Any] | None = None,
) -> Answer:
    answer = await accept_with(
        deps.sessions,
        deps.tables,
        submission,
        now=deps.clock(),
        correlation_id=correlation_id,
        idempotency=idempotency,
        spam=spam,
        ip=ip,
        raw=raw,
    )
    deps.relay.wake()
    return answer


async def accept_with(
    sessions: async_sessionmaker[AsyncSession],
    tables: MessagingTables,
    submission: Submission,
    *,
    now: datetime,
    correlation_id: UUID,
    idempotency: IdempotencyClaim | None = None,
    spam: str | None = None,
    ip: str | None = None,
    raw: dict[str, Any] | None = None,
) -> Answer:
    """`accept` for callers outside a running service (the import command)."""
    async with sessions.begin() as session:
        if idempotency is not None:
            replay: Replay | None = await claim_key(
                session,
                idempotency_keys,
                scope=idempotency.scope,
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                now=now,
                ttl=idempotency.ttl,
            )
            if replay is not None:
                return Answer(replay.status_code, replay.body, replayed=True)
        if spam is not None:
            # answered like a success, with an id that leads nowhere, so a bot learns nothing
            session.add(
                SpamSubmission(
                    via=submission.touch.via,
                    reason=spam,
                    ip=ip,
                    form_id=submission.touch.form_id,
                    email=submission.person.email,
                    payload=raw or {},
                )
            )
            body = {"lead_id": str(uuid4()), "correlation_id": str(correlation_id)}
        else:
            event = await capture_lead(
                submission,
                session=session,
                outbox=Outbox(session, tables),
                now=now,
                correlation_id=correlation_id,
            )
            body = {"lead_id": str(event.lead_id), "correlation_id": str(correlation_id)}
        if idempotency is not None:
            await remember(
                session,
                idempotency_keys,
                scope=idempotency.scope,
                key=idempotency.key,
                status_code=202,
                body=body,
            )
    return Answer(202, body)
