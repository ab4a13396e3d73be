"""Consumer fetches that rest when the topics are quiet and batch when they are busy.

A Kafka fetch names how long the broker may hold it (`fetch.max.wait.ms`) waiting for how much
data (`fetch.min.bytes`). Under load a short wait and a large minimum fill each fetch, so a poll
carries many events into one transaction. Idle, the same settings make every consumer ask the
broker about a hundred times a second for nothing — most of an idle system's CPU, in the services
and in Kafka. So a consumer that has seen nothing for `idle_after_seconds` switches to one long
poll (`idle_wait_ms`, answered as soon as one byte arrives: the first lead after an idle hour is
as fast as one in a stream), and back to batching the moment records come.

aiokafka (like the Java client) takes both settings only at construction; it reads them from its
fetcher on every request, which is where `apply` sets them (services/tests/unit/test_fetch_pace.py
pins that this holds for the aiokafka in uv.lock).

A service on the way to `lead.qualified` gathers by size as well as by time (`streaming_fetch`):
a fetch that waited its whole time under load took as long at 300 leads a second as at 100, and
each hop's wait is latency; one that returns once about ten events have come waits a tenth of a
second at 100 leads a second (few, larger transactions) and a third of that at 300.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FetchSettings:
    max_wait_ms: int
    min_bytes: int


def streaming_fetch(
    *, gather_ms: int | None, gather_bytes: int, max_wait_ms: int, min_bytes: int
) -> FetchSettings:
    """A busy consumer's fetch: the kit's (`max_wait_ms`, `min_bytes`), or the service's gather —
    answered once `gather_bytes` have come or `gather_ms` has passed, whichever is first."""
    if gather_ms is None:
        return FetchSettings(max_wait_ms, min_bytes)
    return FetchSettings(gather_ms, gather_bytes)


@dataclass
class FetchPace:
    streaming: FetchSettings
    idle: FetchSettings
    idle_after_seconds: float
    _last_records_at: float = 0.0
    _current: FetchSettings | None = None

    def next_settings(self, *, got_records: bool, now: float) -> FetchSettings:
        """The settings the next fetch should use, after a poll that did or did not get records."""
        if got_records or not self._last_records_at:
            self._last_records_at = now
            return self.streaming
        return self.idle if now - self._last_records_at >= self.idle_after_seconds else self.streaming

    def apply(self, consumer: Any, *, got_records: bool, now: float) -> bool:
        """Set the consumer's next fetches; whether they changed."""
        wanted = self.next_settings(got_records=got_records, now=now)
        if wanted == self._current:
            return False
        fetcher = consumer._fetcher
        fetcher._fetch_max_wait_ms = wanted.max_wait_ms
        fetcher._fetch_min_bytes = wanted.min_bytes
        self._current = wanted
        return True
