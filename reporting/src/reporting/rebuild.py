"""`python -m reporting.rebuild` (or `make rebuild-reporting`): rebuild reporting's projections
from the topics alone (invariant 8), e.g. after a projection changed shape or a bug was fixed.

Stop reporting first (refused while its consumer group has members). The rebuild reads every topic
reporting consumes from its start up to the end it finds: worker processes (one a core) fold a
share of the partition numbers each into unlogged staging tables (rebuild_worker.py); then one
transaction empties the projections, moves the staged rows in and commits reporting's consumer
group at those ends, so reporting, started again, goes on from there. If anything fails before that
transaction commits, nothing changed and the command can be run again. Spend, which no topic
holds, is kept.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadkit.admin import GroupActive, move_group
from leadkit.db import create_pool
from leadkit.kafka_groups import partitions_of
from leadkit.topics import TopicNames
from reporting.db import staging
from reporting.handlers import HANDLERS
from reporting.rebuild_worker import fold_partitions
from reporting.settings import ReportingSettings

SERVICE = "reporting"
console = Console()


async def _ends(bootstrap: str, topics: list[str]) -> tuple[dict[TopicPartition, int], int]:
    partitions = await partitions_of(bootstrap_servers=bootstrap, topics=topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
    finally:
        await consumer.stop()
    return ends, sum(ends[tp] - starts[tp] for tp in partitions)


async def _fold_in_workers(
    settings: ReportingSettings, ends: dict[TopicPartition, int], topics: dict[str, str], total: int
) -> int:
    """Every partition number folded by a worker process, with a progress bar; events skipped."""
    numbers = sorted({tp.partition for tp in ends})
    workers = max(1, min(os.cpu_count() or 1, len(numbers)))
    shares = [numbers[i::workers] for i in range(workers)]
    offsets = [(tp.topic, tp.partition, end) for tp, end in ends.items()]
    context = multiprocessing.get_context("spawn")  # no event loop or client carried into a child
    with context.Manager() as manager, ProcessPoolExecutor(workers, mp_context=context) as pool:
        report = manager.Queue()
        loop = asyncio.get_running_loop()
        running = [
            loop.run_in_executor(
                pool,
                fold_partitions,
                settings.leadloop.kafka_bootstrap_servers,
                settings.database_url,
                offsets,
                topics,
                share,
                report,
            )
            for share in shares
        ]
        with Progress(
            TextColumn("rebuilding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("events", total=total)
            while not all(job.done() for job in running):
                await asyncio.sleep(0.2)
                progress.advance(task, _drain(report))
            progress.advance(task, _drain(report))
        return sum(await asyncio.gather(*running))


def _drain(report: Any) -> int:
    read = 0
    while True:
        try:
            read += report.get_nowait()
        except queue.Empty:
            return read


async def _commit_group(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> None:
    """reporting goes on from the ends the rebuild read to."""
    committer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await committer.start()
    try:
        committer.assign(list(ends))
        await committer.commit(dict(ends))
    finally:
        await committer.stop()


async def rebuild(settings: ReportingSettings) -> tuple[int, int, float]:
    """Fold every topic into fresh projections; returns events read, events skipped, seconds."""
    names = TopicNames(settings.leadloop.topic_prefix)
    topics = {names.physical(topic): topic for topic in sorted(HANDLERS)}
    group = names.group(SERVICE)
    bootstrap = settings.leadloop.kafka_bootstrap_servers
    # refused (touching nothing) while reporting runs: the rewind checks the group has no members;
    # the inbox it keeps makes a replay from the start harmless should this run stop half-way
    await move_group(bootstrap_servers=bootstrap, group=group, topics=list(topics), to="beginning")
    started = time.perf_counter()
    ends, total = await _ends(bootstrap, list(topics))
    pool = await create_pool(settings.database_url, size=1)
    try:
        async with pool.acquire() as conn:
            await staging.prepare_staging(conn)
            skipped = await _fold_in_workers(settings, ends, topics, total)
            async with conn.transaction():
                await staging.swap_in(conn)
                # last, inside the transaction: if it fails, nothing changed; if the database's
                # commit failed after it, running the rebuild again puts everything right
                await _commit_group(bootstrap, group, ends)
            await staging.drop_staging(conn)
    finally:
        await pool.close()
    return total, skipped, time.perf_counter() - started


def main() -> None:
    try:
        read, skipped, seconds = asyncio.run(rebuild(ReportingSettings()))
    except GroupActive as exc:
        typer.echo(f"not rebuilt: {exc}", err=True)
        raise typer.Exit(1) from exc
    rate = read / seconds if seconds else 0.0
    typer.echo(
        f"reporting rebuilt from {read} events in {seconds:.1f} s ({rate:,.0f} events/s; "
        f"{skipped} undecodable skipped); start it to go on from there"
    )


if __name__ == "__main__":
    typer.run(main)
