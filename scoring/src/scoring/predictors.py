"""The latest fitted predictor, read from scoring's database at most every few seconds."""

from __future__ import annotations

import time

from leadkit.db import Connection
from scoring.db.predictors import latest_predictor
from scoring.domain.predict import Predictor


class Predictors:
    """A read cache of the `predictors` table: two instances agree within `ttl` seconds of a fit."""

    def __init__(self, ttl: float = 10.0) -> None:
        self._ttl = ttl
        self._read_at = -float("inf")
        self._latest: Predictor | None = None

    async def latest(self, conn: Connection) -> Predictor | None:
        if time.monotonic() - self._read_at >= self._ttl:
            stored = await latest_predictor(conn)
            if stored is None:
                self._latest = None
            elif self._latest is None or self._latest.id != stored.id:
                self._latest = Predictor.from_parameters(stored.id, stored.parameters)
            self._read_at = time.monotonic()
        return self._latest

    def forget(self) -> None:
        """Read again at the next call: a fit just landed."""
        self._read_at = -float("inf")
