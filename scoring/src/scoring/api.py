"""scoring's read API: why a lead has its score, and the rule model in force."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from leadkit.auth import require_api_key
from leadkit.policies import PolicyStore
from leadkit.service import Deps, get_deps
from scoring.db.tables import LeadProfile, ScoreRecord
from scoring.domain.model import RuleModel

router = APIRouter(prefix="/v1", tags=["scores"], dependencies=[Depends(require_api_key)])


class ScoreRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    score: int
    grade: str
    fit_score: int
    engagement_score: int
    model_version: str
    reasons: list[dict[str, Any]]
    scored_at: datetime
    event_id: UUID


class LeadScoreRead(BaseModel):
    lead_id: UUID
    score: int
    grade: str
    model_version: str
    facts: dict[str, Any]
    history: list[ScoreRead]


@router.get("/leads/{lead_id}/score", response_model=LeadScoreRead, summary="A lead's score and why")
async def get_score(lead_id: UUID, deps: Annotated[Deps, Depends(get_deps)]) -> LeadScoreRead:
    async with deps.sessions() as session:
        profile = await session.get(LeadProfile, lead_id)
        if profile is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"lead {lead_id} has not been scored")
        records = (
            await session.scalars(
                select(ScoreRecord)
                .where(ScoreRecord.lead_id == lead_id)
                .order_by(ScoreRecord.scored_at.desc())
            )
        ).all()
    return LeadScoreRead(
        lead_id=lead_id,
        score=profile.score,
        grade=profile.grade,
        model_version=profile.model_version,
        facts=profile.facts,
        history=[ScoreRead.model_validate(record) for record in records],
    )


@router.get("/model", summary="The rule model in force (its document: GET /v1/scoring/models/active)")
async def get_model(deps: Annotated[Deps, Depends(get_deps)]) -> dict[str, Any]:
    models: PolicyStore[RuleModel] = deps.extras["rule_models"]
    async with deps.pool.acquire() as conn:
        version, model = await models.active(conn)
    return {
        "version": str(version),
        "label": model.version,
        "max_score": model.max_score,
        "grades": dict(model.grade_floors),
        "rules": [
            {
                "id": r.id,
                "kind": r.kind,
                "description": r.description,
                "points": r.points,
                "when": {"field": r.when.field, "op": r.when.op, "value": r.when.value},
            }
            for r in model.rules
        ],
    }
