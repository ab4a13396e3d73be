"""`python -m reporting.rebuild` (or `make rebuild-reporting`): rebuild reporting's projections
from the topics alone (invariant 8), e.g. after a projection changed shape or a bug was fixed.

Stop reporting first. The consumer group is rewound to the start of every topic it reads, then
the projections and the inbox are emptied; when reporting starts again it replays all history.
The rewind comes first: if the emptying then fails, the intact inbox makes the replay a no-op and
the command can simply be run again, whereas the other order could leave empty projections that
nothing would ever refill.
"""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy import text

from leadkit.admin import GroupActive, move_group
from leadkit.db import create_engine
from leadkit.topics import TopicNames
from reporting.db.tables import metadata
from reporting.handlers import HANDLERS
from reporting.settings import ReportingSettings

SERVICE = "reporting"
KEPT = frozenset({"outbox", "spend"})


async def rebuild(settings: ReportingSettings) -> int:
    """Rewind and empty; returns the partitions rewound."""
    names = TopicNames(settings.leadloop.topic_prefix)
    moved = await move_group(
        bootstrap_servers=settings.leadloop.kafka_bootstrap_servers,
        group=names.group(SERVICE),
        topics=[names.physical(topic) for topic in sorted(HANDLERS)],
        to="beginning",
    )
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            # every projection; not the outbox (reporting never writes to it) nor the spend marketing
            # entered (no topic holds it)
            emptied = ", ".join(t.name for t in metadata.sorted_tables if t.name not in KEPT)
            await conn.execute(text(f"TRUNCATE {emptied}"))
    finally:
        await engine.dispose()
    return moved


def main() -> None:
    try:
        moved = asyncio.run(rebuild(ReportingSettings()))
    except GroupActive as exc:
        typer.echo(f"not rebuilt: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"reporting rewound on {moved} partitions and emptied; start it to replay the topics")


if __name__ == "__main__":
    typer.run(main)
