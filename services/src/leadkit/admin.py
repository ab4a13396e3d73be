"""Operator commands: create topics, replay a dead-letter topic, see and release parked outbox rows.

python -m leadkit.admin create-topics [--prefix test.]
python -m leadkit.admin replay-dlq lead.captured [--prefix …]
python -m leadkit.admin outbox parked capture
python -m leadkit.admin outbox unpark capture 42 43 | --all
python -m leadkit.admin quarantine list sla-monitor
python -m leadkit.admin quarantine retry sla-monitor [--worker sla-timers] ITEM… | --all

`move_group` is the building block of a projection rebuild (see `reporting.rebuild`).
"""

from __future__ import annotations

import asyncio
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import MetaData, select, update
from sqlalchemy import Table as SqlTable

from leadkit.db import create_engine, session_factory
from leadkit.kafka_groups import REPLAY_GROUP, replay_dead_letters, topic_partitions
from leadkit.messaging import messaging_tables
from leadkit.operator_db import ServiceArgument, against_database
from leadkit.quarantine_cli import quarantine_cli
from leadkit.settings import LeadloopSettings
from leadkit.topic_specs import DEFAULT_TOPICS_FILE, create_topics, topic_specs
from leadkit.topics import TopicNames, dlq_of

T = TypeVar("T")
cli = typer.Typer(help="leadloop operator commands", no_args_is_help=True)
outbox_cli = typer.Typer(help="Outbox rows Kafka refused for good (parked)", no_args_is_help=True)
cli.add_typer(outbox_cli, name="outbox")
cli.add_typer(quarantine_cli, name="quarantine")


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
        partitions = await topic_partitions(admin, topics)
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
    privacy_window_seconds: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="How long personal topics and DLQs keep a record; default LEADLOOP_PRIVACY_WINDOW_DAYS "
            "or the file's (30 days). The test suite's topics use seconds.",
        ),
    ] = None,
) -> None:
    settings = LeadloopSettings()
    replication = os.environ.get("LEADLOOP_REPLICATION_FACTOR")
    partitions = os.environ.get("LEADLOOP_TOPIC_PARTITIONS")
    window_days = os.environ.get("LEADLOOP_PRIVACY_WINDOW_DAYS")
    window_ms = (
        privacy_window_seconds * 1000
        if privacy_window_seconds
        else float(window_days) * 86_400_000
        if window_days
        else None
    )
    specs = topic_specs(
        tomllib.loads(file.read_text()),
        replication_factor=int(replication) if replication else None,
        partitions=int(partitions) if partitions else None,
        privacy_window_ms=int(window_ms) if window_ms else None,
    )
    names = TopicNames(settings.topic_prefix if prefix is None else prefix)
    created = asyncio.run(
        create_topics(bootstrap_servers=settings.kafka_bootstrap_servers, topics=names, specs=specs)
    )
    typer.echo(f"{len(specs)} topics defined, {len(created)} created: {', '.join(created) or 'none'}")


@cli.command("replay-dlq")
def replay_dlq_command(
    topic: Annotated[str, typer.Argument(help="The original topic, e.g. lead.captured")],
    prefix: Annotated[
        str | None, typer.Option(help="Topic prefix; defaults to LEADLOOP_TOPIC_PREFIX")
    ] = None,
    group: Annotated[
        str, typer.Option(help="Consumer group that remembers what was replayed")
    ] = REPLAY_GROUP,
) -> None:
    settings = LeadloopSettings()
    names = TopicNames(settings.topic_prefix if prefix is None else prefix)
    count = asyncio.run(
        replay_dead_letters(
            bootstrap_servers=settings.kafka_bootstrap_servers, topics=names, topic=topic, group=group
        )
    )
    typer.echo(f"replayed {count} message(s) from {names.physical(dlq_of(topic))}")


def _outbox() -> SqlTable:
    return messaging_tables(MetaData()).outbox


async def parked_rows(database_url: str) -> list[Any]:
    outbox = _outbox()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            result = await session.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.parked_at, outbox.c.error)
                .where(outbox.c.parked_at.is_not(None), outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
            )
            return list(result.all())
    finally:
        await engine.dispose()


async def unpark_rows(database_url: str, ids: list[int] | None) -> int:
    """Hand parked rows back to the relay (after the cause was fixed); None means every one."""
    outbox = _outbox()
    conditions = [outbox.c.parked_at.is_not(None)]
    if ids is not None:
        conditions.append(outbox.c.id.in_(ids))
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine).begin() as session:
            result = await session.execute(
                update(outbox).where(*conditions).values(parked_at=None, error=None).returning(outbox.c.id)
            )
            return len(result.all())
    finally:
        await engine.dispose()


@outbox_cli.command("parked")
def outbox_parked_command(service: ServiceArgument) -> None:
    """List the rows the relay parked, with Kafka's reason."""
    rows = against_database(service, parked_rows)
    table = Table("id", "topic", "key", "parked at", "error")
    for row in rows:
        table.add_row(str(row.id), row.topic, row.key or "", f"{row.parked_at:%Y-%m-%d %H:%M:%S}", row.error)
    Console(width=200).print(table)
    typer.echo(f"{len(rows)} parked row(s) in {service}'s outbox")


@outbox_cli.command("unpark")
def outbox_unpark_command(
    service: ServiceArgument,
    ids: Annotated[list[int] | None, typer.Argument(help="Outbox row ids (from `parked`)")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Every parked row")] = False,
) -> None:
    """Give parked rows back to the relay once their cause is fixed (e.g. the topic exists now)."""
    if not ids and not all_rows:
        raise typer.BadParameter("name the row ids, or pass --all")
    count = against_database(service, lambda url: unpark_rows(url, None if all_rows else ids))
    typer.echo(f"{count} row(s) handed back to {service}'s relay")


if __name__ == "__main__":
    cli()
