"""capture's JSON API: thin, request model → intake or use case → response."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from capture.api.models import (
    BATCH_LIMIT,
    BatchAccepted,
    ErasureAccepted,
    ErasureCreate,
    ItemResult,
    LeadAccepted,
    LeadBatch,
    LeadCreate,
    LeadRead,
    TouchBatch,
    TouchCreate,
)
from capture.db.erasure import erasable_leads, erase_person, erase_spam
from capture.db.leads import lead_with_touches
from capture.db.people import find_lead, find_leads
from capture.db.tables import Lead
from capture.domain.spam import spam_reason
from capture.domain.submission import Submission, build_submission
from capture.intake import Answer, IdempotencyClaim, Intake, accept, accept_batch
from capture.keys import Principal, require
from capture.limits import client_ip, enforce
from capture.parts import capture_parts
from leadkit.edge import item_problems
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
    enforce(capture_parts(deps).limiters.ip, client_ip(request), what="client address")
    enforce(capture_parts(deps).limiters.key, principal.identity, what="API key")


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


def _invalid(index: int, where: str, error: ValidationError) -> ItemResult:
    errors = [{"loc": [where, index, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return ItemResult(index=index, status=422, errors=errors)


async def _answer_batch(
    request: Request,
    deps: Deps,
    principal: Principal,
    idempotency_key: str | None,
    results: list[ItemResult | None],
    intakes: list[Intake],
) -> JSONResponse:
    pending = [index for index, result in enumerate(results) if result is None]

    def answer_of(answers: list[Answer]) -> dict[str, Any]:
        for index, answer in zip(pending, answers, strict=True):
            results[index] = ItemResult(index=index, status=answer.status_code, **answer.body)
        done = [result for result in results if result is not None]
        accepted = sum(result.status == 202 for result in done)
        return BatchAccepted(accepted=accepted, rejected=len(done) - accepted, results=done).model_dump(
            mode="json", exclude_none=True
        )

    try:
        answer = await accept_batch(
            deps,
            intakes,
            idempotency=await idempotency_claim(request, deps, principal.identity, idempotency_key),
            answer_of=answer_of,
        )
    except KeyReused:
        raise key_reused_error() from None
    return respond(answer)


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
            results[index] = _invalid(index, "leads", error)
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
    return await _answer_batch(request, deps, principal, idempotency_key, results, intakes)


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
            results[index] = _invalid(index, "touches", error)
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
    return await _answer_batch(request, deps, principal, idempotency_key, results, intakes)


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
    return LeadRead.model_validate(
        {**{c.key: getattr(lead, c.key) for c in Lead.__table__.columns}, "touches": touches}
    )
