"""The Kafka building blocks the operator commands and the operations API share: a topic's
partitions, and replaying a topic's dead letters (`python -m leadkit.admin replay-dlq`, `POST
/v1/operations/dead-letters/{topic}/replay`). No CLI here, so a service may import it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadkit.messaging import REPLAY_HEADER
from leadkit.topics import TopicNames, dlq_of

REPLAY_GROUP = "dlq-replay"  # the group that remembers what was replayed, unless told another


async def topic_partitions(admin: AIOKafkaAdminClient, topics: list[str]) -> list[TopicPartition]:
    """Every partition of those of `topics` the cluster has (a missing one has none)."""
    known = set(await admin.list_topics())
    present = [topic for topic in topics if topic in known]
    if not present:
        return []
    return [
        TopicPartition(d["topic"], p["partition"])
        for d in await admin.describe_topics(present)
        for p in d["partitions"]
    ]


async def partitions_of(*, bootstrap_servers: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics`, as the cluster describes them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="leadloop-admin")
    await admin.start()
    try:
        return await topic_partitions(admin, topics)
    finally:
        await admin.close()


async def replay_dead_letters(*, bootstrap_servers: str, topics: TopicNames, topic: str, group: str) -> int:
    """Re-publish the dead letters of `topic` waiting now to `topic` (key and value unchanged).

    Each message carries a fresh replay token (the `leadloop.replay` header): the service that
    failed runs the event again once for it (its inbox marks it dead-lettered, and a plain
    redelivery is skipped); every other consumer of the topic already handled it, so their
    inbox skips it. Only what the DLQ held when the replay began is replayed: a letter that fails
    again lands behind that mark and waits for the next replay, so a replay always ends. The
    partitions are assigned, not joined, so no rebalance delays it; `group` keeps its offsets.
    """
    dlq = topics.physical(dlq_of(topic))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=topics.group(group),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        partitions = await partitions_of(bootstrap_servers=bootstrap_servers, topics=[dlq])
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        left = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
        while left:  # a partition leaves once read up to its mark
            batches = await consumer.getmany(*left, timeout_ms=2000)
            # letters the topic's retention removed: the position jumps past them, maybe to the mark
            left -= {tp for tp in left if tp not in batches and await consumer.position(tp) >= ends[tp]}
            for partition, records in batches.items():
                mine = [record for record in records if record.offset < ends[partition]]
                sent = [
                    await producer.send(
                        topics.physical(topic),
                        value=record.value,
                        key=record.key,
                        headers=_replay_headers(record.headers),
                    )
                    for record in mine
                ]
                await asyncio.gather(*sent)
                if mine:
                    await consumer.commit({partition: mine[-1].offset + 1})
                    replayed += len(mine)
                if not mine or mine[-1].offset + 1 >= ends[partition]:
                    left.discard(partition)
        return replayed
    finally:
        await producer.stop()
        await consumer.stop()


def _replay_headers(headers: Any) -> list[tuple[str, bytes]]:
    """The original headers, without the DLQ's own and with a fresh replay token."""
    kept = [(k, v) for k, v in headers if not k.startswith("dlq.") and k != REPLAY_HEADER]
    return [*kept, (REPLAY_HEADER, str(uuid.uuid4()).encode())]
