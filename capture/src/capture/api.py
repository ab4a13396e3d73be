"""capture's HTTP API: thin, request model → use case in one transaction → response."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, HTTPException, status
from sqlalchemy import select

from capture.api_models import LeadAccepted, LeadCreate, LeadRead
from capture.db.tables import Lead, Touch
from capture.handlers import capture_lead
from leadkit.auth import require_api_key
from leadkit.messaging import Outbox
from leadkit.service import Deps, get_deps

router = APIRouter(prefix="/v1", tags=["leads"], dependencies=[Depends(require_api_key)])


def _correlation_id(header: str | None) -> UUID:
    try:
        return UUID(header) if header else uuid4()
    except ValueError:
        return uuid4()


@router.post(
    "/leads",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=LeadAccepted,
    summary="Capture a lead (a form submission or an integration's post)",
    responses={401: {"description": "Missing or invalid X-API-Key"}, 422: {"description": "Bad field"}},
)
async def post_lead(
    submission: LeadCreate,
    deps: Annotated[Deps, Depends(get_deps)],
    x_correlation_id: Annotated[str | None, Header()] = None,
) -> LeadAccepted:
    correlation_id = _correlation_id(x_correlation_id)
    # 202 only after the lead and its outbox row are committed (invariant 1).
    async with deps.sessions.begin() as session:
        event = await capture_lead(
            submission,
            session=session,
            outbox=Outbox(session, deps.tables),
            now=deps.clock(),
            correlation_id=correlation_id,
        )
    deps.relay.wake()
    return LeadAccepted(lead_id=event.lead_id, correlation_id=correlation_id)


@router.get("/leads/{lead_id}", response_model=LeadRead, summary="A lead with every touch, oldest first")
async def get_lead(lead_id: UUID, deps: Annotated[Deps, Depends(get_deps)]) -> LeadRead:
    async with deps.sessions() as session:
        lead = await session.scalar(select(Lead).where(Lead.id == lead_id))
        if lead is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no lead {lead_id}")
        touches = (
            await session.scalars(select(Touch).where(Touch.lead_id == lead_id).order_by(Touch.occurred_at))
        ).all()
        return LeadRead.model_validate({**_columns(lead), "touches": touches})


def _columns(lead: Lead) -> dict[str, object]:
    return {column.key: getattr(lead, column.key) for column in Lead.__table__.columns}
