"""The reps routing announces (rep.changed), as sla-monitor keeps them: a CRM owner map may name
only a rep the roster has."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple

from leadkit.db import Connection, columns

_RECORD = """
INSERT INTO reps (rep_id, team, active, deleted, changed_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[], $5::timestamptz[])
ON CONFLICT (rep_id) DO UPDATE SET team = excluded.team, active = excluded.active,
    deleted = excluded.deleted, changed_at = excluded.changed_at
"""
_KNOWN = "SELECT rep_id FROM reps WHERE rep_id = ANY($1::text[]) AND NOT deleted"


class RepState(NamedTuple):
    rep_id: str
    team: str
    active: bool
    deleted: bool
    changed_at: datetime


async def record_reps(conn: Connection, reps: Sequence[RepState]) -> None:
    """Each rep's latest state (one row per rep: the caller keeps the last of a batch)."""
    if reps:
        await conn.execute(_RECORD, *columns(sorted(reps)))


async def unknown_reps(conn: Connection, rep_ids: Collection[str]) -> list[str]:
    """Those of `rep_ids` the roster does not have (never announced, or removed), in order."""
    if not rep_ids:
        return []
    known = {row["rep_id"] for row in await conn.fetch(_KNOWN, sorted(set(rep_ids)))}
    return sorted(set(rep_ids) - known)
