"""Helpers for leadloop's tests against the real broker: wait on a condition, tail a topic.

No sleeps standing in for conditions: `eventually` polls an assertion until it holds or the
deadline passes, then re-raises the last failure so the test says what was missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

T = TypeVar("T")


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run `work` as a task while the block runs; cancel it after."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def eventually(check: Callable[[], Awaitable[T]], *, within: float = 30.0, interval: float = 0.2) -> T:
    """Run `check` until it returns without raising AssertionError; return its result."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            return await check()
        except AssertionError:
            if loop.time() >= deadline:
                raise
        await asyncio.sleep(interval)


async def committed_offsets(
    group: str, *, bootstrap_servers: str = "127.0.0.1:9092"
) -> dict[TopicPartition, int]:
    """Every offset `group` has committed, by partition.

    A broker that has just started answers "coordinator not available" until its offsets topic
    is ready. That is reported as nothing committed yet, so a caller polling with `eventually`
    keeps waiting instead of failing on the broker's warm-up.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except KafkaError as error:
        if not error.retriable:
            raise
        return {}
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items()}


async def group_members(group: str, *, bootstrap_servers: str = "127.0.0.1:9092") -> int:
    """How many members `group` has now (a killed member counts until the broker's session
    timeout drops it and the group rebalances)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return sum(len(g["members"]) for r in described for g in r.to_object()["groups"])


async def committed_offset(
    group: str, topic: str, partition: int, *, bootstrap_servers: str = "127.0.0.1:9092"
) -> int:
    """The offset `group` has committed on one partition (-1 when none): everything before it
    was handled and its transaction committed."""
    offsets = await committed_offsets(group, bootstrap_servers=bootstrap_servers)
    return offsets.get(TopicPartition(topic, partition), -1)


class TopicTail:
    """Reads a topic from its end at `start()` onwards, without joining a consumer group."""

    def __init__(self, topic: str, *, bootstrap_servers: str = "127.0.0.1:9092") -> None:
        self.topic = topic
        self.messages: list[Any] = []
        self._bootstrap_servers = bootstrap_servers
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)

    async def start(self) -> TopicTail:
        await self._consumer.start()
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap_servers)
        await admin.start()
        try:
            described = await admin.describe_topics([self.topic])
        finally:
            await admin.close()
        partitions = {
            p["partition"] for d in described if d.get("error_code", 0) == 0 for p in d["partitions"]
        }
        assert partitions, f"topic {self.topic} does not exist"
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:  # resolve the end offsets now, not lazily at the first read
            await self._consumer.position(tp)
        return self

    async def stop(self) -> None:
        await self._consumer.stop()

    async def poll_new(self, timeout_ms: int = 200) -> list[Any]:
        """The records that arrived since the last poll (they are also kept in `messages`)."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        new = [record for records in batches.values() for record in records]
        self.messages.extend(new)
        return new

    async def poll(self) -> list[Any]:
        await self.poll_new()
        return self.messages

    async def wait_for(
        self, predicate: Callable[[Any], bool], *, count: int = 1, within: float = 30.0
    ) -> list[Any]:
        """Wait until `count` messages match; returns every match so far, oldest first."""

        async def check() -> list[Any]:
            await self.poll()
            found = [m for m in self.messages if predicate(m)]
            assert len(found) >= count, f"{len(found)} of {count} matching messages on {self.topic}"
            return found

        return await eventually(check, within=within, interval=0.0)

    async def events_for_any(
        self, predicate: Callable[[dict[str, Any]], bool], *, count: int = 1, within: float = 30.0
    ) -> list[dict[str, Any]]:
        """The decoded events for which `predicate` holds."""

        def matches(message: Any) -> bool:
            return predicate(json.loads(message.value))

        found = await self.wait_for(matches, count=count, within=within)
        return [json.loads(m.value) for m in found]

    async def events_for(self, lead_id: str, *, count: int = 1, within: float = 30.0) -> list[dict[str, Any]]:
        """The decoded events of one lead (matched on the message key)."""
        key = lead_id.encode()
        found = await self.wait_for(lambda m: m.key == key, count=count, within=within)
        return [json.loads(m.value) for m in found]


def database_url_for_tests(service: str) -> str:
    """A service's `*_test` database (`service` as its module is named: `sla_monitor`)."""
    return f"postgresql+asyncpg://{service}:{service}@127.0.0.1:5432/{service}_test?ssl=disable"


def migrate_test_database(root: Path, directory: str) -> str:
    """Bring a service's test database to its migrations' head with Alembic, as `make up` does
    for the real one; returns its URL. `directory` is the service's folder (`sla-monitor`)."""
    service = directory.replace("-", "_")
    url = database_url_for_tests(service)
    subprocess.run(
        [str(root / ".venv/bin/alembic"), "-c", "alembic.ini", "upgrade", "head"],
        cwd=root / directory,
        env=os.environ | {f"{service.upper()}_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    return url
