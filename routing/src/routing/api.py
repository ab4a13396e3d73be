"""routing's read API: why a lead has its owner, and the roster."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from leadkit.auth import require_api_key
from leadkit.service import Deps, get_deps, parts_of
from routing.db.tables import AssignmentRecord, RoutedLead
from routing.domain.config import RoutingConfig

router = APIRouter(prefix="/v1", tags=["routing"], dependencies=[Depends(require_api_key)])


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    owner: str | None
    previous_owner: str | None
    rule: str
    reason: str
    passed_over: list[dict[str, Any]]
    assigned_at: datetime
    cause_event_id: UUID
    event_id: UUID | None


class LeadRoutingRead(BaseModel):
    lead_id: UUID
    score: int
    grade: str
    qualified: bool
    qualification_reason: str
    owner: str | None
    assignments: list[AssignmentRead]


@router.get(
    "/leads/{lead_id}/assignments", response_model=LeadRoutingRead, summary="Why a lead has its owner"
)
async def get_assignments(lead_id: UUID, deps: Annotated[Deps, Depends(get_deps)]) -> LeadRoutingRead:
    async with deps.sessions() as session:
        lead = await session.get(RoutedLead, lead_id)
        if lead is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"routing has not seen lead {lead_id}")
        records = (
            await session.scalars(
                select(AssignmentRecord)
                .where(AssignmentRecord.lead_id == lead_id)
                .order_by(AssignmentRecord.assigned_at, AssignmentRecord.id)
            )
        ).all()
    return LeadRoutingRead(
        lead_id=lead_id,
        score=lead.score,
        grade=lead.grade,
        qualified=lead.qualified,
        qualification_reason=lead.qualification_reason,
        owner=lead.owner,
        assignments=[AssignmentRead.model_validate(record) for record in records],
    )


@router.get("/reps", summary="The reps who take leads, and the MQL bar")
async def get_reps(deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    config = parts_of(deps, RoutingConfig)
    return {
        "mql_threshold": config.mql_threshold,
        "reps": [{"id": r.id, "name": r.name, "email": r.email, "active": r.active} for r in config.reps],
    }
