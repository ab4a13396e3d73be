"""The `spend` table: campaign spend per period, which no topic holds (a rebuild keeps it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from leadkit.db import Connection, columns
from reporting.domain.money import SpendEntry

_SAVE = """
INSERT INTO spend (starts, ends, channel, source, campaign, amount, currency, updated_at)
SELECT *, now()
FROM unnest($1::date[], $2::date[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[])
ON CONFLICT (starts, ends, channel, source, campaign) DO UPDATE SET
    amount = excluded.amount, currency = excluded.currency, updated_at = excluded.updated_at
"""
_LOAD = """
SELECT starts, ends, nullif(channel, '') AS channel, nullif(source, '') AS source,
       nullif(campaign, '') AS campaign, amount, currency
FROM spend WHERE ends >= $1 AND starts < $2 ORDER BY starts, channel, source, campaign
"""


async def save_spend(conn: Connection, entries: Sequence[SpendEntry]) -> None:
    """Upsert by period and name (an entry given again replaces its amount)."""
    rows = [
        (e.starts, e.ends, e.channel or "", e.source or "", e.campaign or "", e.amount, e.currency)
        for e in entries
    ]
    await conn.execute(_SAVE, *columns(rows, width=7))


async def spend_between(conn: Connection, start: date, end: date) -> list[SpendEntry]:
    """The spend entries that overlap [start, end)."""
    return [SpendEntry(**dict(r)) for r in await conn.fetch(_LOAD, start, end)]
