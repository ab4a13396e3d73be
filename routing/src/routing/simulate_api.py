"""`POST /v1/routing/policies/{version}/simulate`: replay a past window through a version."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from lead_schemas import LeadProfile
from leadkit.auth import require_api_key
from leadkit.bounds import Instant
from leadkit.db import Connection
from leadkit.policy_api import VersionNumber, simulation_subject
from leadkit.service import Deps, get_deps, parts_of
from routing.domain.roster import Absence
from routing.domain.simulate import PastAbsence, PastLead, RosterHistory, replay, summary
from routing.lead_rows import account_of
from routing.parts import RoutingParts
from routing.store import load_teams, rep_of

router = APIRouter(
    prefix="/v1/routing/policies", tags=["routing policies"], dependencies=[Depends(require_api_key)]
)
MAX_LEADS = 50_000

_PAST = """
SELECT DISTINCT ON (a.lead_id) a.lead_id, a.assigned_at, a.owner, a.team, a.inputs::text AS inputs,
       l.closed_at
FROM assignments a JOIN leads l USING (lead_id)
WHERE a.kind = 'assign' AND a.inputs IS NOT NULL AND a.assigned_at >= $1 AND a.assigned_at < $2
ORDER BY a.lead_id, a.assigned_at, a.id
LIMIT $3
"""
_REPS = """
SELECT id, name, email, team, weight, daily_cap, weekly_cap, max_open, skills, timezone, hours, active,
       false AS deleted, deleted_at FROM reps
"""
_ABSENCES = "SELECT rep_id, starts, ends, reason, created_at, cancelled_at FROM absences"


async def roster_history(conn: Connection) -> RosterHistory:
    reps = await conn.fetch(_REPS)
    return RosterHistory(
        teams=await load_teams(conn),
        reps={r["id"]: rep_of(r) for r in reps},
        deleted_at={r["id"]: r["deleted_at"] for r in reps if r["deleted_at"] is not None},
        absences=tuple(
            PastAbsence(
                r["rep_id"], Absence(r["starts"], r["ends"], r["reason"]), r["created_at"], r["cancelled_at"]
            )
            for r in await conn.fetch(_ABSENCES)
        ),
    )


def past_lead(row: Any) -> PastLead:
    inputs = json.loads(row["inputs"])
    profile = inputs.get("profile")
    return PastLead(
        lead_id=row["lead_id"],
        at=row["assigned_at"],
        owner=row["owner"],
        team=row["team"],
        score=inputs["score"],
        grade=inputs["grade"],
        qualified=inputs["qualified"],
        profile=LeadProfile.model_validate(profile) if profile else None,
        account=account_of(inputs),
        closed_at=row["closed_at"],
    )


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
        rows = await conn.fetch(_PAST, from_, to, MAX_LEADS + 1)
        history = await roster_history(conn)
    if len(rows) > MAX_LEADS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, f"the window holds more than {MAX_LEADS} leads: narrow it"
        )
    result = replay([past_lead(row) for row in rows], policy, history)
    window: dict[str, datetime] = {"from": from_, "to": to}
    return {"version": version, "active_version": active, "window": window, **summary(result)}
