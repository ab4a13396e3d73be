"""routing's lead API: why a lead has its owner, moving it by hand, and the fairness ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps, parts_of
from routing.db.roster import ledger_counts, load_roster
from routing.db.views import routing_story
from routing.domain.fairness import RepFairness, fairness
from routing.manual import CannotReassign, reassign_by_hand
from routing.parts import RoutingParts

router = APIRouter(prefix="/v1", tags=["routing"], dependencies=[Depends(require_role("viewer"))])
DepsParam = Annotated[Deps, Depends(get_deps)]


class CandidateRead(BaseModel):
    rep_id: str
    eligible: bool
    why: str | None = Field(description="absent, capped_daily, capped_weekly, at_capacity, outside_hours, …")
    detail: str
    credit_before: int = 0
    credited: bool = False


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="assign | reassign | queue_turn | manual")
    owner: str | None
    previous_owner: str | None
    team: str | None
    rule: str
    method: str | None
    policy_version: int | None
    reason: str
    steps: list[str]
    candidates: list[CandidateRead]
    tie_break: str | None
    decision_us: int | None = Field(description="How long the decision took, in microseconds")
    inputs: dict[str, Any] | None = Field(description="What the rules tested")
    passed_over: list[dict[str, Any]]
    assigned_at: datetime
    cause_event_id: UUID | None
    event_id: UUID | None


class LeadRoutingRead(BaseModel):
    lead_id: UUID
    status: str = Field(description="new | queued | assigned | closed | recycled")
    score: int
    grade: str
    qualified: bool
    qualification_reason: str
    owner: str | None
    team: str | None
    queued_since: datetime | None
    assignments: list[AssignmentRead]


async def _routing(deps: Deps, lead_id: UUID) -> LeadRoutingRead:
    async with deps.pool.acquire() as conn:
        story = await routing_story(conn, lead_id)
    if story is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"routing has not seen lead {lead_id}")
    assignments = [AssignmentRead.model_validate(values) for values in story.decisions]
    lead = story.lead
    return LeadRoutingRead(
        lead_id=lead.lead_id,
        status=lead.status,
        score=lead.score,
        grade=lead.grade,
        qualified=lead.qualified,
        qualification_reason=lead.qualification_reason,
        owner=lead.owner,
        team=lead.team,
        queued_since=lead.queued_at,
        assignments=assignments,
    )


@router.get(
    "/leads/{lead_id}/routing",
    response_model=LeadRoutingRead,
    summary="Why a lead has its owner: every decision with its rule, candidates and tie-break",
)
async def get_routing(lead_id: UUID, deps: DepsParam) -> LeadRoutingRead:
    return await _routing(deps, lead_id)


@router.get(
    "/leads/{lead_id}/assignments",
    response_model=LeadRoutingRead,
    summary="The same as /routing (the earlier name)",
    deprecated=True,
)
async def get_assignments(lead_id: UUID, deps: DepsParam) -> LeadRoutingRead:
    return await _routing(deps, lead_id)


class ReassignWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="Why: kept in the record and the event")
    to: str | None = Field(
        default=None, description="A rep id; absent: the next eligible rep of the lead's team"
    )


@router.post(
    "/leads/{lead_id}/reassign",
    dependencies=[Depends(require_role("operator"))],
    response_model=LeadRoutingRead,
    summary="Move a lead to another rep (or the next eligible one) by hand",
    responses={404: {"description": "routing has not seen the lead"}, 409: {"description": "it is not open"}},
)
async def reassign(lead_id: UUID, body: ReassignWrite, deps: DepsParam) -> LeadRoutingRead:
    parts = parts_of(deps, RoutingParts)
    try:
        async with deps.pooled_transaction() as (conn, outbox):
            lead = await reassign_by_hand(
                conn, outbox, deps.clock(), parts, lead_id, reason=body.reason, to=body.to
            )
    except CannotReassign as error:
        code = status.HTTP_422_UNPROCESSABLE_ENTITY if "rep" in str(error) else status.HTTP_409_CONFLICT
        raise HTTPException(code, str(error)) from error
    if lead is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"routing has not seen lead {lead_id}")
    return await _routing(deps, lead_id)


class RepFairnessRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    rep_id: str
    weight: int = Field(description="As the roster has it (GET /v1/reps)")
    in_rotation: bool = Field(description="False for a rep deleted or off the team: no share is promised it")
    weight_share: float
    assignments: int
    rotation_assignments: int
    share: float = Field(description="Of the team's round-robin assignments in the window")
    drift: float = Field(description="share - weight_share")
    flagged: bool = Field(description="|drift| above 0.02")
    skips: dict[str, int]
    credits: int
    reassigned_away: int
    reassigned_to: int


class FairnessRead(BaseModel):
    team: str
    window: dict[str, datetime | None]
    rotation_assignments: int
    max_drift: float
    reps: list[RepFairnessRead]


@router.get("/routing/fairness", response_model=FairnessRead, summary="The fairness ledger of one team")
async def get_fairness(
    deps: DepsParam,
    team: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")],
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Annotated[Instant | None, Query()] = None,
) -> FairnessRead:
    if from_ is not None and to is not None and to <= from_:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "to must be after from")
    async with deps.pool.acquire() as conn:
        roster = await load_roster(conn)
        if team not in roster.teams:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no team {team!r}")
        counts = await ledger_counts(conn, team, from_, to)
    weights = {rep.id: rep.weight for rep in roster.members(team) if rep.active}
    known = {rep.id: rep.weight for rep in roster.reps.values()}
    reps: list[RepFairness] = fairness(counts, weights, known)
    return FairnessRead(
        team=team,
        window={"from": from_, "to": to},
        rotation_assignments=sum(rep.rotation_assignments for rep in reps),
        max_drift=max((abs(rep.drift) for rep in reps), default=0.0),
        reps=[RepFairnessRead.model_validate(rep) for rep in reps],
    )
