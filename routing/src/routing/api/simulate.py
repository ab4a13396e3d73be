"""`POST /v1/routing/policies/{version}/simulate`: replay a past window through a version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.policy_api import VersionNumber, simulation_subject
from leadkit.service import Deps, get_deps, parts_of
from routing.db.views import past_leads, roster_history
from routing.domain.simulate import replay, summary
from routing.parts import RoutingParts

router = APIRouter(
    prefix="/v1/routing/policies", tags=["routing policies"], dependencies=[Depends(require_role("viewer"))]
)
MAX_LEADS = 50_000


@router.post(
    "/{version}/simulate",
    summary="Replay a past window through a policy version, against what happened",
    responses={404: {"description": "no such version"}},
)
async def simulate(
    version: VersionNumber,
    deps: Annotated[Deps, Depends(get_deps)],
    from_: Annotated[Instant, Query(alias="from")],
    to: Annotated[Instant, Query()],
) -> dict[str, Any]:
    parts = parts_of(deps, RoutingParts)
    async with deps.pool.acquire() as conn:
        policy, active = await simulation_subject(parts.policies, conn, version, from_, to)
        past = await past_leads(conn, from_, to, MAX_LEADS + 1)
        history = await roster_history(conn)
    if len(past) > MAX_LEADS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"the window holds more than {MAX_LEADS} leads: narrow it"
        )
    result = replay(past, policy, history)
    window: dict[str, datetime] = {"from": from_, "to": to}
    return {"version": version, "active_version": active, "window": window, **summary(result)}
