"""`POST /v1/leads` (one, or a batch) and `GET /v1/leads/{id}`: capture a lead; read one back."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from capture.api.answers import (
    ERRORS,
    NO_SUCH_LEAD,
    DepsDep,
    Ingest,
    Read,
    accept_or_conflict,
    answer_batch,
    correlation_id_from,
    idempotency_claim,
    invalid_item,
    rate_limit,
)
from capture.api.masking import masked
from capture.api.models import (
    BATCH_LIMIT,
    BatchAccepted,
    ItemResult,
    LeadAccepted,
    LeadBatch,
    LeadCreate,
    LeadRead,
)
from capture.db.leads import lead_with_touches
from capture.db.tables import Lead
from capture.domain.spam import spam_reason
from capture.intake import Intake
from capture.limits import client_ip
from leadkit.edge import item_problems

router = APIRouter(prefix="/v1", tags=["leads"])


@router.post(
    "/leads",
    status_code=202,
    response_model=LeadAccepted,
    responses=ERRORS,
    summary="Capture a lead (a form submission or an integration's post)",
)
async def post_lead(
    submission: LeadCreate,
    request: Request,
    deps: DepsDep,
    principal: Ingest,
    x_correlation_id: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[
        str | None, Header(description="Retries with the same key get the first answer")
    ] = None,
) -> JSONResponse:
    rate_limit(request, deps, principal)
    return await accept_or_conflict(
        deps,
        submission.to_submission(via="api", default_source=principal.source, api_key_id=principal.key_id),
        correlation_id=correlation_id_from(x_correlation_id),
        idempotency=await idempotency_claim(request, deps, principal.identity, idempotency_key),
        spam=spam_reason(email=submission.email),
        ip=client_ip(request),
        raw=submission.model_dump(mode="json"),
    )


@router.post(
    "/leads/batch",
    response_model=BatchAccepted,
    responses=ERRORS,
    summary=f"Capture up to {BATCH_LIMIT} leads in one request, each answered on its own",
)
async def post_leads_batch(
    batch: LeadBatch,
    request: Request,
    deps: DepsDep,
    principal: Ingest,
    idempotency_key: Annotated[
        str | None, Header(description="Retries of the whole batch with the same key get the first answer")
    ] = None,
) -> JSONResponse:
    """The same validation, normalization, dedupe and spam rules as `POST /v1/leads`, per item.
    The answer is 200 with one result per item: 202 and its `lead_id`, or 422 and its errors."""
    rate_limit(request, deps, principal)
    results: list[ItemResult | None] = [None] * len(batch.leads)
    intakes: list[Intake] = []
    ip = client_ip(request)
    for index, item in enumerate(batch.leads):
        unstorable = item_problems(item, "leads", index)
        if unstorable:
            results[index] = ItemResult(index=index, status=422, errors=unstorable)
            continue
        try:
            lead = LeadCreate.model_validate(item)
        except ValidationError as error:
            results[index] = invalid_item(index, "leads", error)
            continue
        intakes.append(
            Intake(
                lead.to_submission(via="api", default_source=principal.source, api_key_id=principal.key_id),
                correlation_id=uuid4(),
                spam=spam_reason(email=lead.email),
                ip=ip,
                raw=lead.model_dump(mode="json"),
            )
        )
    return await answer_batch(request, deps, principal, idempotency_key, results, intakes)


@router.get(
    "/leads/{lead_id}",
    response_model=LeadRead,
    responses=ERRORS,
    summary="A lead with every touch, oldest first",
)
async def get_lead(lead_id: UUID, deps: DepsDep, principal: Read) -> LeadRead:
    async with deps.sessions() as session:
        found = await lead_with_touches(session, lead_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_LEAD)
    lead, touches = found
    read = LeadRead.model_validate(
        {**{c.key: getattr(lead, c.key) for c in Lead.__table__.columns}, "touches": touches}
    )
    return read if principal.allows("read") else masked(read)
