"""Consumer fetches rest when idle and batch when busy (leadkit.fetch_pace); and the aiokafka in
uv.lock still reads the two settings from its fetcher on every request, which is where they are set."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

from aiokafka.consumer.fetcher import Fetcher

from leadkit.fetch_pace import FetchPace, FetchSettings, streaming_fetch

STREAMING, IDLE = FetchSettings(10, 65536), FetchSettings(500, 1)


def pace() -> FetchPace:
    return FetchPace(streaming=STREAMING, idle=IDLE, idle_after_seconds=1.0)


def test_a_consumer_rests_after_a_quiet_second_and_batches_again_when_records_come() -> None:
    p = pace()
    assert p.next_settings(got_records=False, now=100.0) == STREAMING  # just started: not idle yet
    assert p.next_settings(got_records=False, now=100.5) == STREAMING
    assert p.next_settings(got_records=False, now=101.0) == IDLE
    assert p.next_settings(got_records=False, now=160.0) == IDLE
    assert p.next_settings(got_records=True, now=160.2) == STREAMING  # the first lead after an idle spell
    assert p.next_settings(got_records=False, now=160.9) == STREAMING
    assert p.next_settings(got_records=False, now=161.3) == IDLE


def test_apply_sets_the_fetcher_only_when_the_settings_change() -> None:
    fetcher = SimpleNamespace(_fetch_max_wait_ms=10, _fetch_min_bytes=65536)
    consumer = SimpleNamespace(_fetcher=fetcher)
    p = pace()
    assert p.apply(consumer, got_records=True, now=0.5)
    assert not p.apply(consumer, got_records=False, now=1.0)
    assert p.apply(consumer, got_records=False, now=1.6)
    assert (fetcher._fetch_max_wait_ms, fetcher._fetch_min_bytes) == (500, 1)
    assert p.apply(consumer, got_records=True, now=2.0)
    assert (fetcher._fetch_max_wait_ms, fetcher._fetch_min_bytes) == (10, 65536)


def test_aiokafka_reads_both_settings_from_its_fetcher_per_request() -> None:
    source = inspect.getsource(Fetcher)
    assert "self._fetch_max_wait_ms = fetch_max_wait_ms" in source
    assert "self._fetch_min_bytes = fetch_min_bytes" in source
    # the request is built from them each time, not from a value captured at start
    built = inspect.getsource(Fetcher._get_actions_per_node)
    assert "self._fetch_max_wait_ms" in built
    assert "self._fetch_min_bytes" in built


def test_a_service_gathering_under_load_is_answered_by_size_or_by_time() -> None:
    kit = {"max_wait_ms": 10, "min_bytes": 65536}
    assert streaming_fetch(gather_ms=None, gather_bytes=16_000, **kit) == FetchSettings(10, 65536)
    assert streaming_fetch(gather_ms=100, gather_bytes=16_000, **kit) == FetchSettings(100, 16_000)
