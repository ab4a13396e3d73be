"""`POST /v1/erasures`: forget a person."""

from __future__ import annotations

from uuid import uuid4

from fastapi import APIRouter, HTTPException, Request, status

from capture.api.answers import (
    ERRORS,
    NO_SUCH_LEAD,
    DepsDep,
    Erase,
    rate_limit,
)
from capture.api.models import ErasureAccepted, ErasureCreate
from capture.db.erasure import erasable_leads, erase_spam
from capture.erasure import erase_person

router = APIRouter(prefix="/v1", tags=["leads"])


@router.post(
    "/erasures",
    status_code=202,
    response_model=ErasureAccepted,
    responses={**ERRORS, 404: {"description": "Nobody"}},
    summary="Forget a person: their personal data goes, anonymous counts stay; emits lead.erased",
)
async def post_erasure(
    erasure: ErasureCreate, request: Request, deps: DepsDep, principal: Erase
) -> ErasureAccepted:
    """Every lead the id, email or phone names is erased (and every spam row holding them); one
    `lead.erased` each, which every service acts on. 404 when nothing at all matched."""
    rate_limit(request, deps, principal)
    now = deps.clock()
    async with deps.transaction() as (session, outbox):
        leads = await erasable_leads(
            session, lead_id=erasure.lead_id, email=erasure.email, phone=erasure.phone
        )
        for lead in leads:
            await erase_person(session, outbox, lead=lead, now=now, correlation_id=uuid4())
        spam = await erase_spam(
            session,
            emails=[erasure.email] if erasure.email else [],
            phones=[erasure.phone] if erasure.phone else [],
            lead_ids=[],
        )
        if not leads and not spam:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_LEAD)
    lead_ids = [lead.id for lead in leads]
    return ErasureAccepted(lead_id=lead_ids[0] if lead_ids else None, lead_ids=lead_ids, erased_at=now)
