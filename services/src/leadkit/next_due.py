"""A background worker's rest: until its next item is due, or until it is told of an earlier one.

A worker that looked for due items once a second asked its database 86,400 times a day, nearly
always for nothing. Instead, after a round, the worker reads when its next item is due (the first
entry of an index on the due time) and sleeps until then. This process's handlers, which write
the items, tell it of anything due sooner (`expect`); they do so before their transaction
commits, so an expectation is kept until a round has looked after its time. `longest` bounds
every rest: an item another instance wrote, whose own worker has gone, waits at most that long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class NextDue:
    longest: float  # seconds
    # after a round that passed over due items (locked by another instance, which is firing them)
    passed_over: float = 0.2
    _expected: datetime | None = None
    _woken: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, at: datetime) -> None:
        """An item written here is due `at` (wakes a rest that would last longer)."""
        if self._expected is None or at < self._expected:
            self._expected = at
            self._woken.set()

    def looked(self, *, round_started: datetime) -> None:
        """A round that started at `round_started` has looked for everything due by then."""
        if self._expected is not None and self._expected <= round_started:
            self._expected = None

    def seconds_to_rest(self, *, now: datetime, next_due: datetime | None) -> float:
        """How long to rest: until the sooner of the stored next item and the expected one."""
        if self._expected is not None and self._expected <= now:
            return 0.0  # told of an item due already: look at once
        known = [at for at in (next_due, self._expected) if at is not None]
        if not known:
            return self.longest
        soonest = min(known)
        if soonest <= now:  # stored as due, yet the last round passed over it
            return min(self.longest, self.passed_over)
        return min(self.longest, (soonest - now).total_seconds())

    async def rest(self, *, clock: Callable[[], datetime], next_due: datetime | None) -> None:
        """Sleep until something is due (`next_due`, read after the last round, or expected)."""
        while True:
            self._woken.clear()
            seconds = self.seconds_to_rest(now=clock(), next_due=next_due)
            if seconds <= 0:
                return
            try:
                await asyncio.wait_for(self._woken.wait(), timeout=seconds)
            except TimeoutError:
                return
            # told of an earlier item: rest again, until that one
