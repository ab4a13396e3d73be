"""The `predictors` table: each fit of the outcome classifier, as plain parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadkit.db import Connection

_LATEST = "SELECT id, parameters::text AS parameters FROM predictors ORDER BY id DESC LIMIT 1"
_SAVE_PREDICTOR = (
    "INSERT INTO predictors (fitted_at, leads, parameters) VALUES ($1, $2, $3::jsonb) RETURNING id"
)
_LATEST_FIT = """
SELECT id, fitted_at, leads, (parameters->>'conversions')::int AS conversions,
       (parameters->>'outcome_leads')::int AS outcome_leads
FROM predictors ORDER BY id DESC LIMIT 1
"""
# one fit at a time across instances; a second asks and goes (try, never wait)
_FIT_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('scoring-fit'))"


@dataclass(frozen=True)
class StoredPredictor:
    id: int
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Fit:
    """The latest fit in brief: when, on how many leads and conversions, of how many with outcomes."""

    id: int
    fitted_at: datetime
    leads: int
    conversions: int | None
    outcome_leads: int | None


async def latest_predictor(conn: Connection) -> StoredPredictor | None:
    row = await conn.fetchrow(_LATEST)
    return None if row is None else StoredPredictor(row["id"], json.loads(row["parameters"]))


async def latest_fit(conn: Connection) -> Fit | None:
    row = await conn.fetchrow(_LATEST_FIT)
    return None if row is None else Fit(**dict(row))


async def save_predictor(conn: Connection, now: datetime, leads: int, parameters: dict[str, Any]) -> int:
    predictor_id: int = await conn.fetchval(_SAVE_PREDICTOR, now, leads, json.dumps(parameters))
    return predictor_id


async def try_fit_lock(conn: Connection) -> bool:
    """This transaction's hold on fitting; False when another instance fits right now."""
    return bool(await conn.fetchval(_FIT_LOCK))
