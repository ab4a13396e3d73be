"""The topics of deploy/topics.toml as specs, and their creation on a cluster (`create-topics`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from leadkit.topics import TopicNames, dlq_of

DEFAULT_TOPICS_FILE = Path(__file__).resolve().parents[3] / "deploy" / "topics.toml"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def topic_specs(
    definition: dict[str, Any],
    *,
    replication_factor: int | None = None,
    partitions: int | None = None,
    privacy_window_ms: int | None = None,
) -> list[TopicSpec]:
    """Every topic of the definition file, dead-letter twins included (pure: dict in, specs out).
    The personal topics and every dead-letter topic are kept for the privacy window only."""
    defaults = definition.get("defaults", {})
    privacy = definition.get("privacy", {})
    window = privacy_window_ms or int(float(privacy.get("window_days", 30)) * 86_400_000)
    windowed = {
        "retention.ms": str(window),
        "segment.ms": str(min(window, int(privacy.get("segment_ms", 86_400_000)))),
    }
    specs: list[TopicSpec] = []
    for name, overrides in definition["topics"].items():
        merged = {
            **defaults,
            **overrides,
            "config": {**defaults.get("config", {}), **overrides.get("config", {})},
        }
        config = {key: str(value) for key, value in merged["config"].items()}
        spec = TopicSpec(
            name=name,
            partitions=partitions or int(merged["partitions"]),
            replication_factor=replication_factor or int(merged["replication_factor"]),
            config=config | windowed if merged.get("personal", False) else config,
        )
        specs.append(spec)
        if merged.get("dead_letter", False):
            specs.append(TopicSpec(dlq_of(name), spec.partitions, spec.replication_factor, config | windowed))
    return specs


async def create_topics(*, bootstrap_servers: str, topics: TopicNames, specs: list[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet, and set every existing one's configuration to its
    spec (a changed privacy window reaches topics made before it); returns the names created."""
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
        present = [spec for spec in specs if topics.physical(spec.name) in existing]
        if present:
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topics.physical(s.name), s.config) for s in present]
            )
        return created
    finally:
        await admin.close()


async def delete_topics(*, bootstrap_servers: str, names: list[str]) -> None:
    """Delete the named physical topics (those that exist); a test's throwaway topics, for one."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="leadloop-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [name for name in names if name in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
