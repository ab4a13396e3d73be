"""scoring's read API: a lead's score at any instant and why, and the model in force."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict

from lead_schemas import RuleHit
from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.db import Connection
from leadkit.service import Deps, get_deps, parts_of
from scoring.db.profiles import engagement_reset_at, load_states, score_history
from scoring.domain.lead_state import utc
from scoring.domain.model import Grade
from scoring.domain.score import Hit, score_at
from scoring.handlers import Scoring, rule_hit

router = APIRouter(prefix="/v1", tags=["scores"], dependencies=[Depends(require_role("viewer"))])
DepsParam = Annotated[Deps, Depends(get_deps)]


def scoring_of(deps: Deps) -> Scoring:
    return parts_of(deps, Scoring)


class Line(RuleHit):
    """A line of `lead.scored`'s reasons, with its points before rounding."""

    exact: float


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    scored_at: datetime
    cause: str
    cause_event_id: UUID | None
    event_id: UUID
    score: int
    grade: str
    fit_score: int
    engagement_score: int
    engagement_level: str
    qualified: bool
    predicted_conversion: float | None
    model_version: str
    reasons: list[dict[str, Any]]


class LeadScoreRead(BaseModel):
    lead_id: UUID
    at: datetime
    model_version: str
    score: int
    fit_score: int
    engagement_score: int
    grade: Grade
    engagement_level: str
    qualified: bool
    next_change_at: datetime | None
    predicted_conversion: float | None
    predicted_win: float | None
    reasons: list[Line]
    facts: dict[str, Any]
    history: list[HistoryEntry]


def _line(hit: Hit) -> Line:
    return Line(**rule_hit(hit).model_dump(), exact=round(hit.exact, 4))


@router.get(
    "/leads/{lead_id}/score",
    response_model=LeadScoreRead,
    summary="A lead's score, recomputed for now or for `at`, every rule's points, and its history",
)
async def get_score(
    lead_id: UUID,
    deps: DepsParam,
    at: Annotated[Instant | None, Query(description="an instant in the past (RFC 3339); default now")] = None,
) -> LeadScoreRead:
    scoring = scoring_of(deps)
    now = deps.clock()
    instant = min(at, now) if at is not None else now
    async with deps.pool.acquire() as conn, conn.transaction():
        states = await load_states(conn, [lead_id], lock=False)
        state = states.get(lead_id)
        if state is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"lead {lead_id} has not been scored")
        history = await score_history(conn, lead_id, instant)
        if at is not None and not history:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"lead {lead_id} had not been scored by {at.isoformat()}"
            )
        version, model = await scoring.models.active_at(conn, instant)
        since = await _engagement_since(conn, lead_id, instant) if model.reset_engagement_on_recycle else None
    # facts are kept newest-wins, so for a past instant the fit lines recorded then stand in for them
    fit = None if at is None else _fit_lines(history[0].reasons)
    result = score_at(state.facts, state.touches, model, instant.timestamp(), engagement_since=since, fit=fit)
    return LeadScoreRead(
        lead_id=lead_id,
        at=instant,
        model_version=str(version),
        score=result.total,
        fit_score=result.fit,
        engagement_score=result.engagement,
        grade=result.grade,
        engagement_level=result.level,
        qualified=result.qualified,
        next_change_at=utc(result.next_change_at) if result.next_change_at is not None else None,
        predicted_conversion=state.predicted_conversion if at is None else None,
        predicted_win=state.predicted_win if at is None else None,
        reasons=[_line(hit) for hit in result.hits],
        facts=state.facts,
        history=[HistoryEntry.model_validate(recorded) for recorded in history],
    )


def _fit_lines(reasons: list[dict[str, Any]]) -> list[Hit]:
    return [
        Hit(
            line["rule_id"],
            line.get("rule_kind") or "fit",
            line["description"],
            line["points"],
            float(line["points"]),
        )
        for line in reasons
        if line.get("kind") == "fit"
    ]


async def _engagement_since(conn: Connection, lead_id: UUID, at: datetime) -> float | None:
    reset = await engagement_reset_at(conn, lead_id, at)
    return reset.timestamp() if reset else None


@router.get("/model", summary="The model in force, in brief (its document: GET /v1/scoring/models/active)")
async def get_model(deps: DepsParam) -> dict[str, Any]:
    async with deps.pool.acquire() as conn:
        version, model = await scoring_of(deps).models.active(conn)
    return {
        "version": str(version),
        "label": model.label,
        "grades": [{"grade": band.grade, "min": band.min, "max": band.max} for band in model.grades],
        "levels": dict(model.levels),
        "qualified": sorted(f"{grade}/{level}" for grade, level in model.qualified),
        "rules": [{"id": rule.id, "kind": rule.kind, "points": rule.points} for rule in model.rules],
    }
