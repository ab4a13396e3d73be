"""The one way submissions become leads, whatever path they came in by: claim each idempotency
key, record spam or capture the lead, remember the answer — in one transaction, or in one
statement when a single submission needs nothing but capturing (the common case), which it may
share with the plain leads that arrived beside it (capture.shared_writes)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from capture.db.spam import HeldSubmission, hold_as_spam
from capture.domain.submission import Submission
from capture.merge import Capture, capture_leads
from capture.parts import capture_parts
from capture.shared_writes import Sink
from leadkit.db import Connection, Pool
from leadkit.idempotency import Replay, claim_key, remember
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


@dataclass(frozen=True)
class Intake:
    """One submission as it arrived: how to recognise a retry of it, and whether it is spam."""

    submission: Submission
    correlation_id: UUID
    idempotency: IdempotencyClaim | None = None
    spam: str | None = None
    ip: str | None = None
    raw: dict[str, Any] | None = None


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
    intake = Intake(submission, correlation_id, idempotency, spam, ip, raw)
    if idempotency is None and spam is None:  # a plain lead may share a statement (capture.shared_writes)
        sink = Sink(
            write=partial(write_plain, deps.pool, deps.clock, lambda: deps.notify_relay),
            written=lambda leads: deps.outbox_written(requests=leads),
        )
        return await capture_parts(deps).shared_writes.accept(intake, sink)
    (answer,) = await accept_all(deps.pool, [intake], now=deps.clock(), notify=deps.notify_relay)
    deps.outbox_written(requests=1)
    return answer


async def accept_batch(
    deps: Deps,
    intakes: Sequence[Intake],
    *,
    idempotency: IdempotencyClaim | None,
    answer_of: Callable[[list[Answer]], dict[str, Any]],
) -> Answer:
    """Many submissions in one transaction; a key covers the whole batch and replays its answer,
    which `answer_of` composes from each intake's."""
    async with deps.pool.acquire() as connection, connection.transaction():
        if idempotency is not None:
            replay = await claim_key(
                connection,
                scope=idempotency.scope,
                key=idempotency.key,
                fingerprint=idempotency.fingerprint,
                now=deps.clock(),
                ttl=idempotency.ttl,
            )
            if replay is not None:
                return Answer(replay.status_code, replay.body, replayed=True)
        body = answer_of(await accept_on(connection, intakes, now=deps.clock(), notify=deps.notify_relay))
        if idempotency is not None:
            await remember(
                connection, scope=idempotency.scope, key=idempotency.key, status_code=200, body=body
            )
    deps.outbox_written()
    return Answer(200, body)


async def write_plain(
    pool: Pool, clock: Callable[[], datetime], notify: Callable[[], bool], intakes: Sequence[Intake]
) -> list[Answer]:
    """Plain intakes (no key, no spam) without a transaction around them: the new people are one
    statement, the known ones take a transaction of their own (capture_leads)."""
    async with pool.acquire() as connection:
        return await accept_on(connection, intakes, now=clock(), notify=notify())


async def accept_all(pool: Pool, intakes: Sequence[Intake], *, now: datetime, notify: bool) -> list[Answer]:
    """Each intake's answer, in order, in one transaction (a chunk of `leadloop import` is all or
    nothing). Also for callers outside a running service; `notify` wakes a relay in another
    process. A plain lead posted on its own goes by `write_plain` instead: no transaction."""
    async with pool.acquire() as connection, connection.transaction():
        return await accept_on(connection, intakes, now=now, notify=notify)


async def accept_on(
    connection: Connection, intakes: Sequence[Intake], *, now: datetime, notify: bool
) -> list[Answer]:
    """`accept_all` on a connection whose transaction the caller holds (or, for plain intakes,
    none: `write_plain`)."""
    answers: list[Answer | None] = [None] * len(intakes)
    for index, intake in enumerate(intakes):
        if intake.idempotency is not None:
            replay: Replay | None = await claim_key(
                connection,
                scope=intake.idempotency.scope,
                key=intake.idempotency.key,
                fingerprint=intake.idempotency.fingerprint,
                now=now,
                ttl=intake.idempotency.ttl,
            )
            if replay is not None:
                answers[index] = Answer(replay.status_code, replay.body, replayed=True)
    pending = [i for i, answer in enumerate(answers) if answer is None]
    spam = [i for i in pending if intakes[i].spam is not None]
    if spam:
        await _record_spam(connection, [intakes[i] for i in spam])
        for i in spam:
            # answered like a success, with an id that leads nowhere, so a bot learns nothing
            answers[i] = _accepted(uuid4(), intakes[i].correlation_id)
    wanted = [i for i in pending if intakes[i].spam is None]
    captured = await capture_leads(
        connection,
        [Capture(intakes[i].submission, intakes[i].correlation_id) for i in wanted],
        now=now,
        notify=notify,
    )
    for i, event in zip(wanted, captured, strict=True):
        answers[i] = _accepted(event.lead_id, intakes[i].correlation_id)
    for index in pending:
        claim = intakes[index].idempotency
        answer = answers[index]
        assert answer is not None
        if claim is not None:
            await remember(
                connection, scope=claim.scope, key=claim.key, status_code=answer.status_code, body=answer.body
            )
    return [answer for answer in answers if answer is not None]


def _accepted(lead_id: UUID, correlation_id: UUID) -> Answer:
    return Answer(202, {"lead_id": str(lead_id), "correlation_id": str(correlation_id)})


async def _record_spam(connection: Connection, intakes: Sequence[Intake]) -> None:
    """Kept for audit; never emitted."""
    await hold_as_spam(
        connection,
        [
            HeldSubmission(
                i.submission.touch.via,
                i.spam,
                i.ip,
                i.submission.touch.form_id,
                i.submission.person.email,
                json.dumps(i.raw or {}),
            )
            for i in intakes
        ],
    )
