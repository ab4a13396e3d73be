"""SQL pieces the reports share: spreads (median and p90) and the read models for them."""

from __future__ import annotations

from asyncpg import Record
from pydantic import BaseModel


class Spread(BaseModel):
    median: float | None
    p90: float | None


def spread_sql(name: str, value: str, present: str) -> str:
    """`{name}_p50, {name}_p90` of `value` over the rows where `present` holds."""
    return ", ".join(
        f"percentile_cont({share}) WITHIN GROUP (ORDER BY {value}) FILTER (WHERE {present}) AS {name}_{label}"
        for share, label in ((0.5, "p50"), (0.9, "p90"))
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def spread_of(record: Record, name: str) -> Spread:
    return Spread(median=rounded(record[f"{name}_p50"]), p90=rounded(record[f"{name}_p90"]))


def between(start: str, end: str, unit_seconds: float) -> str:
    """The time from column `start` to column `end`, in units of `unit_seconds`."""
    return f"extract(epoch FROM {end} - {start}) / {unit_seconds}"


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
