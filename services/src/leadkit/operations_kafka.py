"""What the operations screen asks Kafka, at human pace (one short-lived client per question):
each consumer group's lag per topic, and how many dead letters wait in each DLQ for a replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadkit.kafka_groups import REPLAY_GROUP, topic_partitions
from leadkit.topics import TopicNames, dlq_of


@dataclass(frozen=True)
class TopicLag:
    group: str
    topic: str  # logical
    partitions: int
    lag: int  # messages in the topic the group has not committed past


@dataclass(frozen=True)
class DeadLetterCount:
    topic: str  # the original topic (logical); its DLQ is `<topic>.dlq`
    waiting: int  # dead letters not yet replayed


async def _committed(admin: AIOKafkaAdminClient, group: str) -> dict[TopicPartition, int]:
    found = await admin.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in found.items() if meta is not None and meta.offset >= 0}


async def kafka_picture(
    *, bootstrap_servers: str, names: TopicNames, groups: Sequence[tuple[str, Sequence[str]]]
) -> tuple[list[TopicLag], list[DeadLetterCount]]:
    """Lag of each (group, logical topics), and the dead letters waiting in those topics' DLQs."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="leadloop-operations")
    offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, client_id="leadloop-operations")
    await admin.start()
    await offsets.start()
    try:
        lags: list[TopicLag] = []
        topics = sorted({topic for _, consumed in groups for topic in consumed})
        for group, consumed in groups:
            partitions = await topic_partitions(admin, [names.physical(t) for t in consumed])
            ends = await offsets.end_offsets(partitions) if partitions else {}
            starts = await offsets.beginning_offsets(partitions) if partitions else {}
            committed = await _committed(admin, group)
            for topic in consumed:
                mine = [tp for tp in partitions if tp.topic == names.physical(topic)]
                behind = sum(ends[tp] - max(committed.get(tp, starts[tp]), starts[tp]) for tp in mine)
                lags.append(TopicLag(group, topic, len(mine), max(0, behind)))
        dlqs = await topic_partitions(admin, [names.physical(dlq_of(t)) for t in topics])
        ends = await offsets.end_offsets(dlqs) if dlqs else {}
        starts = await offsets.beginning_offsets(dlqs) if dlqs else {}
        replayed = await _committed(admin, names.group(REPLAY_GROUP))
        letters = [
            DeadLetterCount(
                topic,
                sum(  # what retention removed is not waiting
                    ends[tp] - max(replayed.get(tp, starts[tp]), starts[tp])
                    for tp in dlqs
                    if tp.topic == names.physical(dlq_of(topic))
                ),
            )
            for topic in topics
        ]
        return lags, letters
    finally:
        await offsets.stop()
        await admin.close()
