"""A rebuild's staging tables: unlogged copies of the projections' shape that rebuild workers COPY
into, swapped in for the projections in one transaction (`python -m reporting.rebuild`)."""

from __future__ import annotations

from collections.abc import Iterable

from leadkit.db import Connection
from reporting.db.tables import metadata
from reporting.domain.projection import COLUMNS, TOUCH_COLUMNS, FunnelRow, TouchRow

STAGED_FUNNEL, STAGED_TOUCHES = "rebuild_lead_funnel", "rebuild_touches"
# not from any topic: spend and targets are typed in, console keys made by `leadloop console-keys`, the
# outbox is reporting's own
KEPT = frozenset({"outbox", "spend", "targets", "console_keys"})


async def prepare_staging(conn: Connection) -> None:
    """Unlogged copies of the projections' shape, empty: the workers COPY into them."""
    for staged, table in ((STAGED_FUNNEL, "lead_funnel"), (STAGED_TOUCHES, "touches")):
        await conn.execute(f"DROP TABLE IF EXISTS {staged}")
        await conn.execute(f"CREATE UNLOGGED TABLE {staged} (LIKE {table} INCLUDING DEFAULTS)")


async def stage(conn: Connection, rows: Iterable[FunnelRow], touches: Iterable[TouchRow]) -> None:
    await conn.copy_records_to_table(STAGED_FUNNEL, records=(r.values() for r in rows), columns=COLUMNS)
    await conn.copy_records_to_table(
        STAGED_TOUCHES, records=(t.values() for t in touches), columns=TOUCH_COLUMNS
    )


async def swap_in(conn: Connection) -> None:
    """Every projection emptied and the staged rows moved in, in the caller's transaction. The
    aggregates are emptied too (and `aggregates_built` with them): they are counted again by
    `reporting.refresh`, or by reporting when it starts."""
    emptied = ", ".join(t.name for t in metadata.sorted_tables if t.name not in KEPT)
    await conn.execute(f"TRUNCATE {emptied}")
    await conn.execute(f"INSERT INTO lead_funnel SELECT * FROM {STAGED_FUNNEL}")
    await conn.execute(f"INSERT INTO touches SELECT * FROM {STAGED_TOUCHES}")


async def drop_staging(conn: Connection) -> None:
    await conn.execute(f"DROP TABLE {STAGED_FUNNEL}, {STAGED_TOUCHES}")
