"""Single leads that arrive while another is being written share the next statement.

A lead posted on its own is one statement and one commit, each commit a WAL flush. Under a burst
the requests pile up behind the database, and each still pays for its own statement, round trip
and flush. Here a lead goes to the database at once when fewer than `writers` writes are in
flight — a lead after a quiet spell, and most leads at 100 a second, wait for nothing — and
otherwise waits for the next free writer, which takes every lead that waited (up to `most`) in one
`capture_leads` call: one statement for the new people, one commit. The busier capture is, the
larger the groups and the cheaper each lead, so a burst drains instead of queueing.

Each lead is answered as if it had been written alone: its own lead id, or its own error. When a
group's write fails, its leads are written again one by one, so one lead the database refuses
fails alone. Only plain leads share (no Idempotency-Key, not held as spam); those go the usual way
(`capture.intake`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from capture.intake import Answer, Intake, accept_on
from leadkit.db import Pool


class SharedWrites:
    def __init__(self, *, writers: int = 1, most: int = 64) -> None:
        self._writers = writers
        self._most = most
        self._writing = 0
        self._waiting: list[tuple[Intake, asyncio.Future[Answer]]] = []
        self._groups: set[asyncio.Task[None]] = set()  # kept referenced until they finish

    async def accept(
        self,
        pool: Pool,
        intake: Intake,
        *,
        now: Callable[[], datetime],
        notify: Callable[[], bool],
        written: Callable[[int], None],
    ) -> Answer:
        """`intake` captured, alone or with the leads waiting beside it; `written(n)` after each
        commit of n leads' rows (the relay's wake)."""
        if self._writing < self._writers:
            self._writing += 1
            try:
                (answer,) = await self._write(pool, [intake], now(), notify())
            finally:
                self._next(pool, now, notify, written)
            written(1)
            return answer
        waiting: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((intake, waiting))
        return await waiting

    def _next(
        self,
        pool: Pool,
        now: Callable[[], datetime],
        notify: Callable[[], bool],
        written: Callable[[int], None],
    ) -> None:
        """A writer is free: it takes the leads that waited, or goes back."""
        if not self._waiting:
            self._writing -= 1
            return
        group, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
        task = asyncio.create_task(self._write_group(pool, group, now, notify, written))
        self._groups.add(task)
        task.add_done_callback(self._groups.discard)

    async def _write_group(
        self,
        pool: Pool,
        group: list[tuple[Intake, asyncio.Future[Answer]]],
        now: Callable[[], datetime],
        notify: Callable[[], bool],
        written: Callable[[int], None],
    ) -> None:
        answers: Sequence[Answer | BaseException] = []
        try:
            try:
                answers = await self._write(pool, [intake for intake, _ in group], now(), notify())
            except Exception as error:
                if len(group) == 1:
                    answers = [error]
                else:  # one lead the database refuses must not fail the others: each alone
                    answers = [await self._alone(pool, intake, now(), notify()) for intake, _ in group]
        finally:
            self._next(pool, now, notify, written)
            if not answers:  # cancelled (capture is stopping): the requests are answered as such
                for _, waiting in group:
                    waiting.cancel()
        accepted = sum(isinstance(answer, Answer) for answer in answers)
        if accepted:
            written(accepted)
        for (_, waiting), answer in zip(group, answers, strict=True):
            if waiting.done():  # the request was cancelled: its lead is captured all the same
                continue
            if isinstance(answer, BaseException):
                waiting.set_exception(answer)
            else:
                waiting.set_result(answer)

    async def _alone(self, pool: Pool, intake: Intake, now: datetime, notify: bool) -> Answer | BaseException:
        try:
            (answer,) = await self._write(pool, [intake], now, notify)
        except Exception as error:
            return error
        return answer

    @staticmethod
    async def _write(pool: Pool, intakes: list[Intake], now: datetime, notify: bool) -> list[Answer]:
        """New people in one statement, known ones in a transaction of their own (capture_leads);
        no transaction around the whole, so no BEGIN and COMMIT round trips."""
        async with pool.acquire() as connection:
            return await accept_on(connection, intakes, now=now, notify=notify)
