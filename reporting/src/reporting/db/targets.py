"""The `targets` table: a month's targets, saved whole (a measure left out has none)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from asyncpg import Record

from leadkit.db import Connection
from reporting.domain.targets import MEASURES, MonthTarget

_SAVE = """
INSERT INTO targets (month, leads, mqls, sqls, won, revenue, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (month) DO UPDATE SET leads = $2, mqls = $3, sqls = $4, won = $5, revenue = $6,
    updated_at = $7, updated_by = $8
"""
_BETWEEN = """
SELECT month, leads, mqls, sqls, won, revenue, updated_at, updated_by FROM targets
WHERE month >= $1 AND month < $2 ORDER BY month
"""
_DELETE = "DELETE FROM targets WHERE month = $1"


def _target(row: Record) -> MonthTarget:
    return MonthTarget(row["month"], {m: Decimal(row[m]) for m in MEASURES if row[m] is not None})


async def save_target(
    conn: Connection, month: date, values: dict[str, int | Decimal | None], *, at: datetime, by: str
) -> None:
    await conn.execute(
        _SAVE,
        month,
        values["leads"],
        values["mqls"],
        values["sqls"],
        values["won"],
        values["revenue"],
        at,
        by,
    )


async def targets_between(
    conn: Connection, first: date, after: date
) -> list[tuple[MonthTarget, datetime, str]]:
    """The months [first, after) that have targets: each, when it was saved and by whom."""
    return [
        (_target(row), row["updated_at"], row["updated_by"])
        for row in await conn.fetch(_BETWEEN, first, after)
    ]


async def delete_target(conn: Connection, month: date) -> bool:
    return await conn.execute(_DELETE, month) == "DELETE 1"
