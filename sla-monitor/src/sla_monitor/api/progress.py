"""sla-monitor's HTTP API: sales tools report progress; anyone may ask why a clock breached."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse

from leadkit.idempotency import (
    KeyReused,
    claim_key,
    key_reused_error,
    remember,
    replay_response,
    request_hash,
)
from leadkit.service import Deps, get_deps, parts_of
from sla_monitor.api.models import (
    LeadSlaRead,
    ProgressAccepted,
    ProgressCreate,
    StepRead,
    StepRefused,
    clock_reads,
    without_free_text,
)
from sla_monitor.db.leads import lead_story
from sla_monitor.domain.stages import ImpossibleStep
from sla_monitor.keys import SlaCaller, require_progress, require_progress_read
from sla_monitor.parts import SlaParts
from sla_monitor.progress import CadenceNotDone, StepBeforeCapture, UnknownLead, report_progress

# a sales tool's own key (scope `progress`), a system key, or a console key (viewer reads, operator reports)
router = APIRouter(prefix="/v1", tags=["sales progress"], dependencies=[Depends(require_progress_read)])
IDEMPOTENCY_TTL = timedelta(days=7)  # sales tools retry for hours at most


@router.post(
    "/leads/{lead_id}/progress",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ProgressAccepted,
    summary="Report a sales step: accepted, contacted, meeting, sql, opportunity, won, lost, rejected",
    responses={
        404: {"description": "No lead with that id was ever captured"},
        409: {
            "model": StepRefused,
            "description": "The stage order forbids it (or the follow-up cadence is not done): current "
            "stage and allowed next ones",
        },
        422: {"description": "Unknown stage or reason code, or occurred_at in the future or before capture"},
    },
)
async def post_progress(
    lead_id: UUID,
    report: ProgressCreate,
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    caller: Annotated[SlaCaller, Depends(require_progress)],
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=255,
            description="A retry with the same key (from the same API key) gets the first answer",
        ),
    ] = None,
) -> JSONResponse:
    now = deps.clock()
    # a key is the caller's own: another sales tool using the same key value is another request
    scope = f"progress:{caller.identity}:{lead_id}"
    parts = parts_of(deps, SlaParts)
    try:
        async with deps.pooled_transaction() as (conn, outbox):
            if idempotency_key is not None:
                replay = await claim_key(
                    conn,
                    scope=scope,
                    key=idempotency_key,
                    fingerprint=request_hash(await request.body()),
                    now=now,
                    ttl=IDEMPOTENCY_TTL,
                )
                if replay is not None:
                    return replay_response(replay)
            reported = await report_progress(
                conn, lead_id, report.step(), parts=parts, outbox=outbox, now=now
            )
            body = ProgressAccepted(
                lead_id=lead_id,
                event_id=reported.progressed.id,
                stage=report.stage,
                recycled=reported.recycled is not None,
                forced=reported.progressed.data.forced,
            ).model_dump(mode="json")
            if idempotency_key is not None:
                await remember(conn, scope=scope, key=idempotency_key, status_code=202, body=body)
    except UnknownLead:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no lead {lead_id} has been captured"
        ) from None
    except KeyReused:
        raise key_reused_error() from None
    except StepBeforeCapture as error:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=[{"loc": ["body", "occurred_at"], "msg": str(error), "type": "value_error"}],
        ) from None
    except (ImpossibleStep, CadenceNotDone) as refused:
        move = refused.transition
        return JSONResponse(
            StepRefused(
                detail=str(refused), current=move.current, allowed=list(move.allowed_next)
            ).model_dump(),
            status_code=status.HTTP_409_CONFLICT,
        )
    return JSONResponse(body, status_code=202)


@router.get(
    "/leads/{lead_id}/sla",
    response_model=LeadSlaRead,
    summary="A lead's SLA clocks (started, due, met or breached, business minutes, by whom) and steps",
)
async def get_sla(
    lead_id: UUID,
    deps: Annotated[Deps, Depends(get_deps)],
    caller: Annotated[SlaCaller, Depends(require_progress_read)],
) -> LeadSlaRead:
    async with deps.sessions() as session:
        story = await lead_story(session, lead_id)
    if story is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no lead {lead_id} has been captured")
    lead, timers, steps = story.lead, story.timers, story.steps
    read = LeadSlaRead(
        lead_id=lead_id,
        owner=lead.owner,
        team=lead.team,
        stage=lead.stage,
        tier=lead.tier,
        sla_version=lead.sla_version,
        captured_at=lead.captured_at,
        qualified_at=lead.qualified_at,
        clocks=clock_reads(timers),
        steps=[StepRead.model_validate(step) for step in steps],
    )
    # sales' and managers' own words may name the person: shown only to a key that may read them
    return read if caller.personal_data else without_free_text(read)
