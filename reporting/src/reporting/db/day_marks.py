"""Marked days: the days whose aggregates (attribution's, the funnel's) are behind the projection.

The projection marks a day when a poll changes it; a refresher claims marked days (several
instances share them: SKIP LOCKED), recounts them and forgets the marks. A day is claimed only
once it has settled: `settle` after its first mark, and at least its last recount's cost divided
by `busy_share` — so under a steady stream of events a busy day (today, mostly) is recounted a few
times an hour, not every poll, and the refresher spends at most that share of its time on it.
Until then every report counts a marked day live.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from leadkit.db import Connection
from leadkit.messaging import Outbox
from leadkit.quarantine import Quarantine, guarded


def day_of(at: datetime) -> date:
    """The UTC day an instant falls on: aggregates are kept per UTC day."""
    return at.astimezone(UTC).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class WindowDays:
    """A window cut into what the aggregates answer and what is counted live."""

    first: date  # the days [first, last) lie wholly inside the window; none when first >= last
    last: date
    marked: set[date]  # of those, the ones behind: counted live
    live: list[tuple[datetime, datetime]]  # the partial ends and the marked days, none empty

    @property
    def stored(self) -> bool:
        return self.first < self.last


# the settled marked days, newest first; $5: quarantined days passed over, $6: only this day
_SETTLED = """
{select} FROM {table} d
LEFT JOIN aggregate_costs c ON c.kind = $3 AND c.day = d.day
WHERE d.marked_at <= now() - greatest($2::interval, make_interval(secs => coalesce(c.seconds, 0) * $4))
  AND d.day::text <> ALL($5::text[]) AND ($6::date IS NULL OR d.day = $6)
ORDER BY d.day DESC LIMIT $1
"""


@dataclass(frozen=True)
class DayMarks:
    kind: str  # the aggregates' name in aggregate_costs
    table: str  # the marks; from a closed list in code, never from input

    async def mark(self, conn: Connection, days: Iterable[date]) -> None:
        ordered = sorted(set(days))
        if ordered:
            await conn.execute(
                f"INSERT INTO {self.table} (day) SELECT DISTINCT unnest($1::date[]) ON CONFLICT DO NOTHING",
                ordered,
            )

    async def mark_days_of(self, conn: Connection, days_sql: str) -> None:
        """Mark every day a query answers (`SELECT day …`): all of them, after a rebuild."""
        statement = f"INSERT INTO {self.table} (day) SELECT DISTINCT day FROM ({days_sql}) AS d"
        await conn.execute(f"{statement} ON CONFLICT DO NOTHING")

    async def marked(self, conn: Connection, first: date, last: date) -> set[date]:
        """The marked days in [first, last)."""
        rows = await conn.fetch(f"SELECT day FROM {self.table} WHERE day >= $1 AND day < $2", first, last)
        return {row["day"] for row in rows}

    async def window(self, conn: Connection, start: datetime, end: datetime) -> WindowDays:
        first = day_of(start) + (timedelta(days=1) if day_bounds(day_of(start))[0] < start else timedelta(0))
        last = day_of(end)
        if first >= last:
            return WindowDays(first, last, set(), [(start, end)] if start < end else [])
        marked = await self.marked(conn, first, last)
        live = [(start, day_bounds(first)[0]), (day_bounds(last)[0], end)]
        live += [day_bounds(day) for day in sorted(marked)]
        return WindowDays(first, last, marked, [(low, high) for low, high in live if low < high])

    @property
    def quarantine(self) -> Quarantine:
        """A day whose recount fails alone is set aside (still marked: reports count it live)."""
        return Quarantine("reporting", f"{self.kind}-aggregates")

    async def refresh(
        self,
        conn: Connection,
        recount: Callable[[Connection, list[date]], Awaitable[None]],
        *,
        limit: int,
        settle: timedelta,
        busy_share: float | None,
    ) -> int:
        """Claim up to `limit` settled days and `recount` them; how many days. A round that fails
        is worked day by day and a day that fails alone is quarantined (`leadkit.quarantine`)."""

        async def work(conn: Connection, _: Outbox, skip: list[str], only: date | None = None) -> int:
            claim = self.recounting(
                conn, limit=limit, settle=settle, busy_share=busy_share, skip=skip, only=only
            )
            async with claim as days:
                if days:
                    await recount(conn, days)
            return len(days)

        async def pending(conn: Connection, skip: list[str]) -> list[str]:
            days = await self._settled(conn, "SELECT d.day", limit, settle, busy_share, skip, None)
            return [row["day"].isoformat() for row in days]

        async def one(conn: Connection, outbox: Outbox, day: str) -> int:
            return await work(conn, outbox, [], only=date.fromisoformat(day))

        done = await guarded(conn, self.quarantine, work=work, pending=pending, one=one, notify=False)
        return 1 if done is None else done  # a round worked day by day: look again at once

    @asynccontextmanager
    async def recounting(
        self,
        conn: Connection,
        *,
        limit: int,
        settle: timedelta,
        busy_share: float | None,
        skip: Sequence[str] = (),
        only: date | None = None,
    ) -> AsyncIterator[list[date]]:
        """One transaction: the claimed days (maybe none) for the caller to recount, then what that
        took recorded against them."""
        started = perf_counter()
        async with conn.transaction():
            days = await self.claim(
                conn, limit=limit, settle=settle, busy_share=busy_share, skip=skip, only=only
            )
            yield days
            await self.record_cost(conn, days, perf_counter() - started)

    async def claim(
        self,
        conn: Connection,
        *,
        limit: int,
        settle: timedelta,
        busy_share: float | None,
        skip: Sequence[str] = (),
        only: date | None = None,
    ) -> list[date]:
        """Up to `limit` settled days, newest first, their marks gone (inside the caller's
        transaction), but the quarantined ones in `skip` (or only the day `only`); `busy_share`
        None claims regardless of cost."""
        chosen = "SELECT d.day"
        rows = await conn.fetch(
            f"DELETE FROM {self.table} WHERE day IN ({_SETTLED.format(table=self.table, select=chosen)}"
            " FOR UPDATE OF d SKIP LOCKED) RETURNING day",
            *self._settled_args(limit, settle, busy_share, skip, only),
        )
        return sorted(row["day"] for row in rows)

    async def _settled(
        self,
        conn: Connection,
        select: str,
        limit: int,
        settle: timedelta,
        busy_share: float | None,
        skip: Sequence[str],
        only: date | None,
    ) -> list[Any]:
        statement = _SETTLED.format(table=self.table, select=select)
        return list(await conn.fetch(statement, *self._settled_args(limit, settle, busy_share, skip, only)))

    def _settled_args(
        self, limit: int, settle: timedelta, busy_share: float | None, skip: Sequence[str], only: date | None
    ) -> tuple[object, ...]:
        factor = 0.0 if busy_share is None else 1 / busy_share
        return limit, settle, self.kind, factor, list(skip), only

    async def record_cost(self, conn: Connection, days: list[date], seconds: float) -> None:
        """What recounting these days took, shared evenly: the next claim of each waits for it."""
        if days:
            await conn.execute(
                """
INSERT INTO aggregate_costs (kind, day, seconds) SELECT $1, unnest($2::date[]), $3
ON CONFLICT (kind, day) DO UPDATE SET seconds = excluded.seconds
""",
                self.kind,
                days,
                seconds / len(days),
            )


ATTRIBUTION_MARKS = DayMarks("attribution", "attribution_dirty")
FUNNEL_MARKS = DayMarks("funnel", "funnel_dirty")
