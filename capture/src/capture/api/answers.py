"""How every endpoint of capture's JSON API answers: its rate limits, its idempotency keys, a
single submission's answer and a batch's, item by item."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from capture.api.models import BatchAccepted, ItemResult
from capture.intake import Answer, IdempotencyClaim, Intake, accept, accept_batch
from capture.keys import Principal, require, require_lead_reader
from capture.limits import client_ip, enforce
from capture.parts import capture_parts
from leadkit.idempotency import KeyReused, Replay, key_reused_error, replay_response, request_hash
from leadkit.service import Deps, get_deps

Ingest = Annotated[Principal, Depends(require("ingest"))]
Read = Annotated[Principal, Depends(require_lead_reader)]
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


def invalid_item(index: int, where: str, error: ValidationError) -> ItemResult:
    errors = [{"loc": [where, index, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    return ItemResult(index=index, status=422, errors=errors)


async def answer_batch(
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
