"""A rebuild worker: one process folding some partition numbers of every topic reporting reads into
rows, with the same `project` the live handler uses, and COPYing them into unlogged staging tables.
A lead's events share a partition number on every topic (the key is the lead id), so a partition
number's events are all its leads' events. Each event counts once (deduplicated by id, as the live
inbox does); an event that does not decode is skipped (the live consumer dead-letters it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition

from lead_schemas import EVENT_TYPES, Envelope, LeadCaptured
from lead_schemas.privacy import event_type_of
from leadkit.db import create_pool
from reporting.db.staging import stage
from reporting.domain.projection import FunnelRow, TouchRow, project, touch_of

FETCH_RECORDS = 5000


@dataclass
class Folded:
    """One partition number's rows and touches, folded in memory."""

    rows: dict[UUID, FunnelRow] = field(default_factory=dict)
    touches: dict[tuple[UUID, str], TouchRow] = field(default_factory=dict)
    seen: set[UUID] = field(default_factory=set)
    skipped: int = 0

    def fold(self, kind: type[Envelope], raw: bytes | None) -> None:
        try:
            # the topic names the type: one pass of pydantic's JSON parser, no generic decode first
            event = kind.model_validate_json(raw or b"")
        except ValueError:
            self.skipped += 1
            return
        if event.id in self.seen:
            return
        self.seen.add(event.id)
        row = self.rows.get(event.lead_id)
        if row is None:
            row = self.rows[event.lead_id] = FunnelRow(lead_id=event.lead_id)
        project(row, event)
        if isinstance(event, LeadCaptured):
            touch = touch_of(event)
            self.touches.setdefault((touch.lead_id, touch.touch_id), touch)


async def _fold_partition(
    consumer: AIOKafkaConsumer,
    wanted: list[TopicPartition],
    ends: dict[TopicPartition, int],
    kinds: dict[str, type[Envelope]],
    report: Any,
) -> Folded:
    folded = Folded()
    left = {tp for tp in wanted if ends[tp] > 0}
    if not left:
        return folded
    consumer.assign(sorted(left))
    await consumer.seek_to_beginning(*left)
    while left:
        batches = await consumer.getmany(*left, timeout_ms=1000, max_records=FETCH_RECORDS)
        for tp, records in batches.items():
            for record in records:
                if record.offset < ends[tp]:
                    folded.fold(kinds[tp.topic], record.value)
            report.put(len(records))
            if records and records[-1].offset + 1 >= ends[tp]:
                left.discard(tp)
        for tp in list(left):
            if await consumer.position(tp) >= ends[tp]:
                left.discard(tp)
    return folded


async def _work(
    bootstrap: str,
    database_url: str,
    ends: dict[TopicPartition, int],
    kinds: dict[str, type[Envelope]],
    numbers: list[int],
    report: Any,
) -> int:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=16 * 1024 * 1024
    )
    await consumer.start()
    pool = await create_pool(database_url, size=1)
    skipped = 0
    try:
        async with pool.acquire() as conn:
            for number in numbers:
                wanted = [tp for tp in ends if tp.partition == number]
                folded = await _fold_partition(consumer, wanted, ends, kinds, report)
                await stage(conn, folded.rows.values(), folded.touches.values())
                skipped += folded.skipped
    finally:
        await consumer.stop()
        await pool.close()
    return skipped


def fold_partitions(
    bootstrap: str,
    database_url: str,
    ends: list[tuple[str, int, int]],
    topics: dict[str, str],
    numbers: list[int],
    report: Any,
) -> int:
    """In its own process: fold these partition numbers into the staging tables; the events it
    skipped. `topics` maps each physical topic to the event type it holds; `report` (a queue)
    takes the count of records read, as they are."""
    offsets = {TopicPartition(topic, partition): end for topic, partition, end in ends}
    kinds = {physical: EVENT_TYPES[event_type_of(logical)] for physical, logical in topics.items()}
    return asyncio.run(_work(bootstrap, database_url, offsets, kinds, numbers, report))
