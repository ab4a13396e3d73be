"""capture's JSON API: thin, request model → intake or use case → response."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import select

from capture.api_models import ErasureAccepted, ErasureCreate, LeadAccepted, LeadCreate, LeadRead, TouchCreate
from capture.db.tables import Lead, Touch
from capture.domain.spam import spam_reason
from capture.domain.submission import build_submission
from capture.handlers import erase_person, find_lead
from capture.intake import Answer, IdempotencyClaim, accept
from capture.keys import Principal, require
from capture.limits import client_ip, enforce
from leadkit.idempotency import KeyReused, Replay, key_reused_error, replay_response, request_hash
from leadkit.service import Deps, get_deps

router = APIRouter(prefix="/v1", tags=["leads"])
Ingest = Annotated[Principal, Depends(require("ingest"))]
Read = Annotated[Principal, Depends(require("read"))]
Erase = Annotated[Principal, Depends(require("erase"))]
DepsDep = Annotated[Deps, Depends(get_deps)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid X-API-Key"},
    403: {"description": "The key lacks the scope this endpoint needs"},
    413: {"description": "Body too large"},
    422: {"description": "A field is wrong; each bad field is named"},
    429: {"description": "Too many requests; see Retry-After"},
}


NO_SUCH_LEAD = "no lead matches what was given"


def correlation_id_from(header: str | None) -> UUID:
    try:
        return UUID(header) if header else uuid4()
    except ValueError:
        return uuid4()


def rate_limit(request: Request, deps: Deps, principal: Principal) -> None:
    enforce(deps.extras["limiters"]["ip"], client_ip(request), what="client address")
    enforce(deps.extras["limiters"]["key"], principal.identity, what="API key")


async def idempotency_claim(
    request: Request, deps: Deps, scope: str, key: str | None
) -> IdempotencyClaim | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255:
        raise HTTPException(
            422,
            detail=[
                {"loc": ["header", "Idempotency-Key"], "msg": "1 to 255 characters", "type": "value_error"}
            ],
        )
    ttl = timedelta(hours=deps.settings.idempotency_hours)  # type: ignore[attr-defined]
    return IdempotencyClaim(scope=scope, key=key, fingerprint=request_hash(await request.body()), ttl=ttl)


def respond(answer: Answer) -> JSONResponse:
    if answer.replayed:
        return replay_response(Replay(answer.status_code, answer.body))
    return JSONResponse(answer.body, status_code=answer.status_code)


async def accept_or_conflict(deps: Deps, submission: Any, **kwargs: Any) -> JSONResponse:
    try:
        return respond(await accept(deps, submission, **kwargs))
    except KeyReused:
        raise key_reused_error() from None


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
    # identified by the lead's stored email and phone, so the touch lands on it; a touch carries no
    # person fields, and empty ones erase nothing
    fields = touch.model_dump(exclude={"lead_id", "type"}) | {"email": lead.email, "phone": lead.phone}
    submission = build_submission(
        fields,
        via="touch",
        touch_type=touch.type,
        default_source=principal.source,
        api_key_id=principal.key_id,
    )
    return await accept_or_conflict(
        deps,
        submission,
        correlation_id=correlation_id_from(x_correlation_id),
        idempotency=await idempotency_claim(request, deps, principal.identity, idempotency_key),
    )


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
    rate_limit(request, deps, principal)
    now = deps.clock()
    async with deps.transaction() as (session, outbox):
        lead = await find_lead(session, lead_id=erasure.lead_id, email=erasure.email, phone=erasure.phone)
        if lead is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_LEAD)
        await erase_person(session, outbox, lead=lead, now=now, correlation_id=uuid4())
    return ErasureAccepted(lead_id=lead.id, erased_at=now)


@router.get(
    "/leads/{lead_id}",
    response_model=LeadRead,
    responses=ERRORS,
    summary="A lead with every touch, oldest first",
)
async def get_lead(lead_id: UUID, deps: DepsDep, principal: Read) -> LeadRead:
    async with deps.sessions() as session:
        lead = await session.get(Lead, lead_id)
        if lead is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_LEAD)
        touches = (
            await session.scalars(select(Touch).where(Touch.lead_id == lead_id).order_by(Touch.occurred_at))
        ).all()
    return LeadRead.model_validate(
        {**{c.key: getattr(lead, c.key) for c in Lead.__table__.columns}, "touches": touches}
    )
