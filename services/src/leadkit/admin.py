"""Operator commands: create topics from deploy/topics.toml, replay a dead-letter topic.

python -m leadkit.admin create-topics [--prefix test.]
python -m leadkit.admin replay-dlq lead.captured [--prefix …]

`move_group` is the building block of a projection rebuild (see `reporting.rebuild`).
"""

from __future__ import annotations

import asyncio
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from leadkit.settings import LeadloopSettings
from leadkit.topics import TopicNames, dlq_of

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parents[3] / "deploy" / "topics.toml"

cli = typer.Typer(help="leadloop operator commands", no_args_is_help=True)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(definition: dict[str, Any], *, replication_factor: int | None = None) -> list[TopicSpec]:
    """Every topic of the definition file, dead-letter twins included (pure: dict in, specs out)."""
    defaults = definition.get("defaults", {})
    specs: list[TopicSpec] = []
    for name, overrides in definition["topics"].items():
        merged = {
            **defaults,
            **overrides,
            "config": {**defaults.get("config", {}), **overrides.get("config", {})},
        }
        spec = TopicSpec(
            name=name,
            partitions=int(merged["partitions"]),
            replication_factor=replication_factor or int(merged["replication_factor"]),
            config={key: str(value) for key, value in merged["config"].items()},
        )
        specs.append(spec)
        if merged.get("dead_letter", False):
            specs.append(TopicSpec(dlq_of(name), spec.partitions, spec.replication_factor, spec.config))
    return specs


async def create_topics(*, bootstrap_servers: str, topics: TopicNames, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="leadloop-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if topics.physical(spec.name) not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            topics.physical(spec.name),
                            spec.partitions,
                            spec.replication_factor,
                            topic_configs=spec.config,
                        )
                    ]
                )
                created.append(topics.physical(spec.name))
            except TopicAlreadyExistsError:
                pass  # another process created it between our list and create
        return created
    finally:
        await admin.close()


class GroupActive(RuntimeError):
    """The consumer group has running members; its offsets can only be moved while it is empty."""


async def move_group(
    *, bootstrap_servers: str, group: str, topics: list[str], to: Literal["beginning", "end"]
) -> int:
    """Commit the earliest (or latest) offset of every partition of `topics` for `group`, so that
    its next run reads them from the start (or skips what is there). Refused while the group has
    members. Returns the partitions moved."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="leadloop-admin")
    await admin.start()
    try:
        described = [
            g for r in await admin.describe_consumer_groups([group]) for g in r.to_object()["groups"]
        ]
        members = sum(len(g["members"]) for g in described)
        if members:
            raise GroupActive(
                f"consumer group {group} has {members} running member(s): stop the service first"
            )
        partitions = [
            TopicPartition(topic, p["partition"])
            for topic, d in zip(topics, await admin.describe_topics(topics), strict=True)
            for p in d["partitions"]
        ]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        offsets = consumer.beginning_offsets if to == "beginning" else consumer.end_offsets
        await consumer.commit(await offsets(partitions))
    finally:
        await consumer.stop()
    return len(partitions)


@cli.command("create-topics")
def create_topics_command(
    prefix: Annotated[
        str | None, typer.Option(help="Topic prefix; defaults to LEADLOOP_TOPIC_PREFIX")
    ] = None,
    file: Annotated[Path, typer.Option(help="Topic definition file")] = DEFAULT_TOPICS_FILE,
) -> None:
    settings = LeadloopSettings()
    replication = os.environ.get("LEADLOOP_REPLICATION_FACTOR")
    specs = topic_specs(
        tomllib.loads(file.read_text()), replication_factor=int(replication) if replication else None
    )
    names = TopicNames(settings.topic_prefix if prefix is None else prefix)
    created = asyncio.run(
        create_topics(bootstrap_servers=settings.kafka_bootstrap_servers, topics=names, specs=specs)
    )
    typer.echo(f"{len(specs)} topics defined, {len(created)} created: {', '.join(created) or 'none'}")


async def replay_dead_letters(*, bootstrap_servers: str, topics: TopicNames, topic: str, group: str) -> int:
    """Re-publish every dead-lettered message of `topic` to `topic` (key and value unchanged).

    The service that failed reprocesses it (its inbox marks it dead-lettered, not handled);
    every other consumer of the topic already handled it, so their inbox skips it.
    """
    consumer = AIOKafkaConsumer(
        topics.physical(dlq_of(topic)),
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
        while True:
            batches = await consumer.getmany(timeout_ms=2000)
            if not batches:
                return replayed
            for partition, records in batches.items():
                sent = [
                    await producer.send(
                        topics.physical(topic),
                        value=record.value,
                        key=record.key,
                        headers=[(k, v) for k, v in record.headers if not k.startswith("dlq.")],
                    )
                    for record in records
                ]
                await asyncio.gather(*sent)
                await consumer.commit({partition: records[-1].offset + 1})
                replayed += len(records)
    finally:
        await producer.stop()
        await consumer.stop()


@cli.command("replay-dlq")
def replay_dlq_command(
    topic: Annotated[str, typer.Argument(help="The original topic, e.g. lead.captured")],
    prefix: Annotated[
        str | None, typer.Option(help="Topic prefix; defaults to LEADLOOP_TOPIC_PREFIX")
    ] = None,
    group: Annotated[
        str, typer.Option(help="Consumer group that remembers what was replayed")
    ] = "dlq-replay",
) -> None:
    settings = LeadloopSettings()
    names = TopicNames(settings.topic_prefix if prefix is None else prefix)
    count = asyncio.run(
        replay_dead_letters(
            bootstrap_servers=settings.kafka_bootstrap_servers, topics=names, topic=topic, group=group
        )
    )
    typer.echo(f"replayed {count} message(s) from {names.physical(dlq_of(topic))}")


if __name__ == "__main__":
    cli()
