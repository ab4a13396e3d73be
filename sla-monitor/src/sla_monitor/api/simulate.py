"""`POST /v1/sla/policies/{version}/simulate`: the clocks of a past window through a version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.policy_api import VersionNumber, simulation_subject
from leadkit.service import Deps, get_deps, parts_of
from sla_monitor.db import reports
from sla_monitor.db.calendars import every_calendar
from sla_monitor.domain.simulate import replay, summary
from sla_monitor.parts import SlaParts

router = APIRouter(
    prefix="/v1/sla/policies", tags=["SLA policies"], dependencies=[Depends(require_role("viewer"))]
)
MAX_CLOCKS = 100_000


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
        past = await reports.past_clocks(conn, from_, to, MAX_CLOCKS + 1)
        calendars = await every_calendar(conn)
    if len(past) > MAX_CLOCKS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"the window holds more than {MAX_CLOCKS} clocks: narrow it"
        )
    result = replay(past, policy, calendars)
    return {
        "version": version,
        "active_version": active,
        "window": {"from": from_, "to": to},
        **summary(result),
    }
