"""sla-monitor's HTTP API: sales tools report progress; anyone may ask why a clock breached."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from leadkit.auth import require_api_key
from leadkit.db import raw_connection
from leadkit.idempotency import (
    KeyReused,
    claim_key,
    key_reused_error,
    remember,
    replay_response,
    request_hash,
)
from leadkit.service import Deps, get_deps
from sla_monitor.api_models import LeadSlaRead, ProgressAccepted, ProgressCreate, StepRefused, TimerRead
from sla_monitor.db.tables import SalesLead, SlaTimer
from sla_monitor.domain.stages import ImpossibleStep
from sla_monitor.handlers import UnknownLead, report_progress

router = APIRouter(prefix="/v1", tags=["sales progress"], dependencies=[Depends(require_api_key)])
IDEMPOTENCY_TTL = timedelta(days=7)  # sales tools retry for hours at most


@router.post(
    "/leads/{lead_id}/progress",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ProgressAccepted,
    summary="Report a sales step: accepted, contacted, meeting, sql, opportunity, won, lost, rejected",
    responses={
        404: {"description": "No qualified lead with that id"},
        409: {"model": StepRefused, "description": "The stage order forbids it: current and allowed next"},
    },
)
async def post_progress(
    lead_id: UUID,
    report: ProgressCreate,
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    idempotency_key: Annotated[
        str | None, Header(max_length=255, description="A retry with the same key gets the first answer")
    ] = None,
) -> JSONResponse:
    now = deps.clock()
    scope = f"progress:{lead_id}"
    try:
        async with deps.transaction() as (session, outbox):
            if idempotency_key is not None:
                replay = await claim_key(
                    await raw_connection(session),
                    scope=scope,
                    key=idempotency_key,
                    fingerprint=request_hash(await request.body()),
                    now=now,
                    ttl=IDEMPOTENCY_TTL,
                )
                if replay is not None:
                    return replay_response(replay)
            progressed, recycled = await report_progress(
                lead_id, report.step(), session=session, outbox=outbox, now=now
            )
            body = ProgressAccepted(
                lead_id=lead_id, event_id=progressed.id, stage=report.stage, recycled=recycled is not None
            ).model_dump(mode="json")
            if idempotency_key is not None:
                await remember(
                    await raw_connection(session),
                    scope=scope,
                    key=idempotency_key,
                    status_code=202,
                    body=body,
                )
    except UnknownLead:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no qualified lead {lead_id}: progress can be reported once a lead has an owner",
        ) from None
    except KeyReused:
        raise key_reused_error() from None
    except ImpossibleStep as refused:
        move = refused.transition
        return JSONResponse(
            StepRefused(
                detail=str(refused), current=move.current, allowed=list(move.allowed_next)
            ).model_dump(),
            status_code=status.HTTP_409_CONFLICT,
        )
    return JSONResponse(body, status_code=202)


@router.get("/leads/{lead_id}/sla", response_model=LeadSlaRead, summary="A lead's SLA clocks and why")
async def get_sla(lead_id: UUID, deps: Annotated[Deps, Depends(get_deps)]) -> LeadSlaRead:
    async with deps.sessions() as session:
        lead = await session.get(SalesLead, lead_id)
        if lead is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no qualified lead {lead_id}")
        timers = (
            await session.scalars(select(SlaTimer).where(SlaTimer.lead_id == lead_id).order_by(SlaTimer.id))
        ).all()
    return LeadSlaRead(
        lead_id=lead_id,
        owner=lead.owner,
        stage=lead.stage,
        timers=[TimerRead.model_validate(t) for t in timers],
    )
