"""`POST /v1/sla/policies/{version}/simulate`: the clocks of a past window through a version."""

from __future__ import annotations

import json
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, HTTPException, Query, status

from leadkit.auth import require_api_key
from leadkit.bounds import Instant
from leadkit.policy_api import VersionNumber, simulation_subject
from leadkit.service import Deps, get_deps, parts_of
from sla_monitor.calendars import calendar_of
from sla_monitor.domain.simulate import PastClock, replay, summary
from sla_monitor.domain.sla_policy import ClockName
from sla_monitor.parts import SlaParts

router = APIRouter(prefix="/v1/sla/policies", tags=["SLA policies"], dependencies=[Depends(require_api_key)])
MAX_CLOCKS = 100_000
_PAST = """
SELECT t.lead_id, t.clock, t.tier, t.team, t.owner, t.started_at, t.due_at, t.status, t.closed_at,
       l.facts::text AS facts
FROM timers t JOIN leads l USING (lead_id)
WHERE t.escalation <> 'warn' AND t.status IN ('met', 'breached') AND l.facts IS NOT NULL
  AND t.started_at >= $1 AND t.started_at < $2
ORDER BY t.started_at, t.id
LIMIT $3
"""
_CALENDARS = "SELECT team, timezone, hours, holidays FROM calendars"


@router.post(
    "/{version}/simulate",
    summary="Replay the clocks of a past window through an SLA policy version, against what happened",
    responses={404: {"description": "no such version"}},
)
async def simulate(
    version: VersionNumber,
    deps: Annotated[Deps, Depends(get_deps)],
    from_: Annotated[Instant, Query(alias="from", description="Clocks started from (inclusive)")],
    to: Annotated[Instant, Query(description="Clocks started before (exclusive)")],
) -> dict[str, Any]:
    parts = parts_of(deps, SlaParts)
    async with deps.pool.acquire() as conn:
        policy, active = await simulation_subject(parts.policies, conn, version, from_, to)
        rows = await conn.fetch(_PAST, from_, to, MAX_CLOCKS + 1)
        calendars = {row["team"]: calendar_of(row) for row in await conn.fetch(_CALENDARS)}
    if len(rows) > MAX_CLOCKS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"the window holds more than {MAX_CLOCKS} clocks: narrow it"
        )
    past = [
        PastClock(
            lead_id=row["lead_id"],
            clock=cast(ClockName, row["clock"]),
            tier=row["tier"],
            team=row["team"],
            owner=row["owner"],
            started_at=row["started_at"],
            due_at=row["due_at"],
            status=row["status"],
            closed_at=row["closed_at"],
            facts=json.loads(row["facts"]),
        )
        for row in rows
    ]
    result = replay(past, policy, calendars)
    return {
        "version": version,
        "active_version": active,
        "window": {"from": from_, "to": to},
        **summary(result),
    }
