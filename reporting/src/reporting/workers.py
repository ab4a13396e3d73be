"""reporting's work beside its consumer. It runs no background loop: the funnel and attribution
aggregates are kept by the projection's handler, in each poll's own transaction
(`reporting.db.aggregates`). What is left is the work before it consumes: counting every aggregate
again when the tables do not hold this version's (after a rebuild, or an upgrade that changed their
shape)."""

from __future__ import annotations

import structlog

from leadkit.db import Connection
from reporting.db.aggregates import ensure_built

log = structlog.get_logger(__name__)


async def prepare_aggregates(conn: Connection) -> None:
    counted = await ensure_built(conn)
    if counted is not None:
        log.info("aggregates counted again from the projection", leads=counted)
