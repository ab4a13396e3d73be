"""Single leads that arrive close together share one statement and one commit.

A lead posted on its own is one statement and one commit, each commit a WAL flush; under a burst
each request still paid for its own statement, round trip and flush. Here a lead goes to the
database at once when a writer is free and no write began in the last `gather_ms` — a lead after
a quiet spell waits for nothing. A lead of a stream (another write began moments ago) or one that
finds every writer busy waits instead: for a free writer, and for `gather_ms` after the last write
began or for `gather` leads to wait, whichever comes first. Then one write takes every lead that
waited (up to `most`) in one `capture_leads` call: one statement for the new people, one commit.
At 100 leads a second two or three leads share a commit; the busier capture is, the larger the
groups and the cheaper each lead, so a burst drains instead of queueing.

Each lead is answered as if it had been written alone: its own lead id, or its own error. When a
group's write fails, its leads are written again one by one, so one lead the database refuses
fails alone. Only plain leads share (no Idempotency-Key, not held as spam); those go the usual way
(`capture.intake`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capture.intake import Answer, Intake


@dataclass(frozen=True)
class Sink:
    """How leads are written (their answers, in order; `capture.intake.write_plain`) and what to
    call after a commit of n leads' rows (the relay's wake)."""

    write: Callable[[Sequence[Intake]], Awaitable[list[Answer]]]
    written: Callable[[int], None]


@dataclass(frozen=True)
class _Waiting:
    intake: Intake
    sink: Sink
    answer: asyncio.Future[Answer]


class SharedWrites:
    def __init__(
        self,
        *,
        writers: int = 1,
        gather_ms: float = 0,
        gather: int = 6,
        most: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._writers = writers
        self._gather = gather_ms / 1000
        self._gather_count = gather
        self._most = most
        self._clock = clock
        self._writing = 0
        self._last_began = float("-inf")
        self._waiting: list[_Waiting] = []
        self._timer: asyncio.TimerHandle | None = None
        self._groups: set[asyncio.Task[None]] = set()  # kept referenced until they finish

    async def accept(self, intake: Intake, sink: Sink) -> Answer:
        """`intake` captured, alone or with the leads beside it."""
        if self._writing < self._writers and not self._waiting and not self._in_a_stream():
            self._writing += 1
            self._last_began = self._clock()
            try:
                (answer,) = await sink.write([intake])
            finally:
                self._writer_free()
            sink.written(1)
            return answer
        waiting = _Waiting(intake, sink, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._writing < self._writers:
            self._start_or_wait()
        return await waiting.answer

    def _in_a_stream(self) -> bool:
        return self._clock() - self._last_began < self._gather

    def _writer_free(self) -> None:
        self._writing -= 1
        if self._waiting:
            self._start_or_wait()

    def _start_or_wait(self) -> None:
        """A writer is free and leads wait: write them now when enough have come or the gather is
        over, else when it is."""
        if len(self._waiting) >= self._gather_count or not self._in_a_stream():
            self._start_group()
        elif self._timer is None:
            delay = self._last_began + self._gather - self._clock()
            self._timer = asyncio.get_running_loop().call_later(delay, self._gathered)

    def _gathered(self) -> None:
        self._timer = None
        if self._waiting and self._writing < self._writers:
            self._start_group()

    def _start_group(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        group, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
        self._writing += 1
        self._last_began = self._clock()
        task = asyncio.create_task(self._write_group(group))
        self._groups.add(task)
        task.add_done_callback(self._groups.discard)

    async def _write_group(self, group: list[_Waiting]) -> None:
        sink = group[0].sink
        answers: Sequence[Answer | BaseException] = []
        try:
            try:
                answers = await sink.write([one.intake for one in group])
            except Exception as error:
                if len(group) == 1:
                    answers = [error]
                else:  # one lead the database refuses must not fail the others: each alone
                    answers = [await self._alone(sink, one.intake) for one in group]
        finally:
            self._writer_free()
            if not answers:  # cancelled (capture is stopping): the requests are answered as such
                for one in group:
                    one.answer.cancel()
        accepted = sum(not isinstance(answer, BaseException) for answer in answers)
        if accepted:
            sink.written(accepted)
        for one, answer in zip(group, answers, strict=True):
            if one.answer.done():  # the request was cancelled: its lead is captured all the same
                continue
            if isinstance(answer, BaseException):
                one.answer.set_exception(answer)
            else:
                one.answer.set_result(answer)

    async def _alone(self, sink: Sink, intake: Intake) -> Answer | BaseException:
        try:
            (answer,) = await sink.write([intake])
        except Exception as error:
            return error
        return answer
