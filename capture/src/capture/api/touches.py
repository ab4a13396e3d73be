"""`POST /v1/touches` (one, or a batch): engagement of a known lead, found by its id or email."""

from __future__ import annotations

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from capture.api.answers import (
    ERRORS,
    NO_SUCH_LEAD,
    DepsDep,
    Ingest,
    accept_or_conflict,
    answer_batch,
    correlation_id_from,
    idempotency_claim,
    invalid_item,
    rate_limit,
)
from capture.api.models import BATCH_LIMIT, BatchAccepted, ItemResult, LeadAccepted, TouchBatch, TouchCreate
from capture.db.people import find_lead, find_leads
from capture.domain.submission import Submission, build_submission
from capture.intake import Intake
from capture.keys import Principal
from leadkit.edge import item_problems

router = APIRouter(prefix="/v1", tags=["leads"])


@router.post(
    "/touches",
    status_code=202,
    response_model=LeadAccepted,
    responses={**ERRORS, 404: {"description": "No such lead"}},
    summary="Record engagement from a known lead (download, webinar, email click, visit, meeting)",
)
async def post_touch(
    touch: TouchCreate,
    request: Request,
    deps: DepsDep,
    principal: Ingest,
    x_correlation_id: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    rate_limit(request, deps, principal)
    async with deps.sessions() as session:
        lead = await find_lead(session, lead_id=touch.lead_id, email=touch.email)
    if lead is None:
        # one answer for an unknown id and an unknown email, echoing neither
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_LEAD)
    submission = touch_submission(touch, email=lead.email, phone=lead.phone, principal=principal)
    return await accept_or_conflict(
        deps,
        submission,
        correlation_id=correlation_id_from(x_correlation_id),
        idempotency=await idempotency_claim(request, deps, principal.identity, idempotency_key),
    )


def touch_submission(
    touch: TouchCreate, *, email: str | None, phone: str | None, principal: Principal
) -> Submission:
    """A touch is identified by the lead's stored email and phone, so it lands on that lead; it
    carries no person fields, and empty ones erase nothing."""
    fields = touch.model_dump(exclude={"lead_id", "type"}) | {"email": email, "phone": phone}
    return build_submission(
        fields,
        via="touch",
        touch_type=touch.type,
        default_source=principal.source,
        api_key_id=principal.key_id,
    )


@router.post(
    "/touches/batch",
    response_model=BatchAccepted,
    responses=ERRORS,
    summary=f"Record up to {BATCH_LIMIT} touches of known leads in one request, each answered on its own",
)
async def post_touches_batch(
    batch: TouchBatch,
    request: Request,
    deps: DepsDep,
    principal: Ingest,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Per item as `POST /v1/touches`: 202, 422 with its errors, or 404 when no lead matches."""
    rate_limit(request, deps, principal)
    results: list[ItemResult | None] = [None] * len(batch.touches)
    touches: dict[int, TouchCreate] = {}
    for index, item in enumerate(batch.touches):
        unstorable = item_problems(item, "touches", index)
        if unstorable:
            results[index] = ItemResult(index=index, status=422, errors=unstorable)
            continue
        try:
            touches[index] = TouchCreate.model_validate(item)
        except ValidationError as error:
            results[index] = invalid_item(index, "touches", error)
    async with deps.pool.acquire() as connection:
        by_id, by_key = await find_leads(
            connection,
            lead_ids=[t.lead_id for t in touches.values() if t.lead_id is not None],
            emails=[t.email for t in touches.values() if t.lead_id is None and t.email],
        )
    intakes: list[Intake] = []
    for index, touch in touches.items():
        if touch.lead_id is not None:
            lead = by_id.get(touch.lead_id)
        else:
            lead = by_key.get(touch.email) if touch.email else None
        if lead is None:
            results[index] = ItemResult(index=index, status=404, errors=[{"msg": NO_SUCH_LEAD}])
            continue
        submission = touch_submission(touch, email=lead.email, phone=lead.phone, principal=principal)
        intakes.append(Intake(submission, correlation_id=uuid4()))
    return await answer_batch(request, deps, principal, idempotency_key, results, intakes)
