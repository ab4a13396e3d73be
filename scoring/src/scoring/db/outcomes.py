"""The `outcomes` table: sales' verdicts on scoring's leads (lead.progressed, lead.recycled), kept to
learn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from leadkit.db import Connection, columns

_RECORD_OUTCOMES = """
INSERT INTO outcomes (event_id, lead_id, stage, reason, amount, occurred_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::numeric[], $6::timestamptz[])
ON CONFLICT DO NOTHING
"""
_OUTCOME_LEADS = """
SELECT lead_id, array_agg(stage) AS stages, min(occurred_at) AS first_at,
       (array_agg(reason ORDER BY occurred_at DESC) FILTER (WHERE stage = 'rejected'))[1] AS rejected_reason,
       (array_agg(reason ORDER BY occurred_at DESC) FILTER (WHERE stage = 'lost'))[1] AS lost_reason
FROM outcomes GROUP BY lead_id
HAVING bool_or(stage <> 'recycled')  -- a verdict from sales; an SLA recycle alone says nothing of fit
ORDER BY lead_id
"""
_OUTCOME_COUNT = "SELECT count(DISTINCT lead_id) FROM outcomes WHERE stage <> 'recycled'"


@dataclass(frozen=True)
class Outcome:
    """One sales step or recycle as scoring keeps it (once per event)."""

    event_id: UUID
    lead_id: UUID
    stage: str
    reason: str | None
    amount: Decimal | None
    occurred_at: datetime


@dataclass(frozen=True)
class LeadVerdicts:
    """A lead sales reported on: every stage it reached, when sales first had it, and why it was
    rejected or lost (the latest reason)."""

    lead_id: UUID
    stages: frozenset[str]
    first_at: datetime
    rejected_reason: str | None
    lost_reason: str | None


async def record_outcomes(conn: Connection, outcomes: Sequence[Outcome]) -> None:
    rows = [(o.event_id, o.lead_id, o.stage, o.reason, o.amount, o.occurred_at) for o in outcomes]
    await conn.execute(_RECORD_OUTCOMES, *columns(rows, width=6))


async def leads_with_verdicts(conn: Connection) -> list[LeadVerdicts]:
    return [
        LeadVerdicts(
            row["lead_id"],
            frozenset(row["stages"]),
            row["first_at"],
            row["rejected_reason"],
            row["lost_reason"],
        )
        for row in await conn.fetch(_OUTCOME_LEADS)
    ]


async def leads_with_verdicts_count(conn: Connection) -> int:
    count: int = await conn.fetchval(_OUTCOME_COUNT)
    return count
