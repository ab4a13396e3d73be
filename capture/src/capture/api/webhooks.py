"""Ad platforms' webhooks: each platform's own handshake and signature, then durable intake.

Google sends the answers in the webhook, so its leads are captured at once. Meta and LinkedIn send
only ids: the notification is recorded (one row per platform lead id) before the 200, and the
fetch worker (`capture.workers`) gets the answers afterwards, retrying, so a failed fetch never
loses the lead and never holds up the webhook.
"""

from __future__ import annotations

import hmac
import json
from datetime import timedelta
from typing import Annotated, Any, Protocol
from uuid import uuid4

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse

from capture.api.models import LeadCreate
from capture.db.platform_leads import note_platform_lead, withdraw_linkedin_lead
from capture.domain.platforms import google_lead, linkedin_notice, meta_notices
from capture.domain.signatures import (
    is_linkedin_challenge_code,
    linkedin_challenge_response,
    linkedin_signature_matches,
    meta_signature_matches,
)
from capture.erasure import erase_person
from capture.intake import IdempotencyClaim, accept
from capture.limits import client_ip, enforce
from capture.parts import capture_parts
from capture.settings import CaptureSettings
from leadkit.idempotency import request_hash
from leadkit.service import Deps, get_deps

DepsDep = Annotated[Deps, Depends(get_deps)]


async def _per_address(request: Request, deps: DepsDep) -> None:
    """Every webhook, handshakes included, is limited per client address: they are unauthenticated
    until their signature or token is checked, and that check is what a flood would cost."""
    enforce(capture_parts(deps).limiters.ip, client_ip(request), what="client address")


router = APIRouter(prefix="/v1/webhooks", tags=["ad platforms"], dependencies=[Depends(_per_address)])
log = structlog.get_logger(__name__)


def _settings(deps: Deps) -> CaptureSettings:
    assert isinstance(deps.settings, CaptureSettings)
    return deps.settings


def _json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="body is not JSON") from None
    if not isinstance(payload, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="body must be a JSON object")
    return payload


class SignatureCheck(Protocol):
    def __call__(self, *, secret: str, body: bytes, header: str | None) -> bool: ...


async def _signed_body(request: Request, *, secret: str, header: str, matches: SignatureCheck) -> bytes:
    """The raw body, once `header` proves it is the platform's (its own scheme, keyed with `secret`)."""
    body = await request.body()
    if not matches(secret=secret, body=body, header=request.headers.get(header)):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=f"{header} does not match")
    return body


async def _record(deps: Deps, platform: str, external_id: str, notification: dict[str, Any]) -> bool:
    """Durably note a lead to fetch; False when this platform lead id was already noted."""
    async with deps.sessions.begin() as session:
        return await note_platform_lead(session, platform, external_id, notification, deps.clock())


# --- Google Ads --------------------------------------------------------------------------------


@router.post(
    "/google",
    summary="Google Ads lead form webhook (google_key in the body)",
    responses={
        200: {"description": "Accepted (also for a repeat of the same lead_id)"},
        400: {"description": "Not a lead"},
        401: {"description": "Wrong google_key"},
    },
)
async def google_webhook(request: Request, deps: DepsDep) -> Response:
    body = await request.body()
    payload = _json(body)
    expected = _settings(deps).google_key.get_secret_value()
    presented = str(payload.pop("google_key", "") or "")  # never logged, stored or published
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong google_key")
    lead_id = payload.get("lead_id")
    if not lead_id:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="lead_id is missing")
    data = google_lead(payload)
    lead, dropped = LeadCreate.lenient(data.fields | data.attributes)
    if lead is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the lead has no valid email or phone")
    if dropped:
        log.warning("google lead fields dropped as invalid", fields=dropped)
    submission = lead.to_submission(
        via="google", touch_type="ad_lead", external_id=str(lead_id), is_test=data.is_test
    )
    await accept(
        deps,
        submission,
        correlation_id=uuid4(),
        idempotency=IdempotencyClaim(
            scope="google",
            key=str(lead_id),
            fingerprint=request_hash(str(lead_id).encode()),
            ttl=timedelta(days=_settings(deps).platform_id_days),
        ),
    )
    return JSONResponse({}, status_code=200)


# --- Meta Lead Ads -----------------------------------------------------------------------------


@router.get("/meta", response_class=PlainTextResponse, summary="Meta's subscription handshake")
async def meta_handshake(
    deps: DepsDep,
    mode: Annotated[str, Query(alias="hub.mode")] = "",
    verify_token: Annotated[str, Query(alias="hub.verify_token")] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=200)] = "",
) -> str:
    expected = _settings(deps).meta_verify_token.get_secret_value()
    if (
        mode != "subscribe"
        or not expected
        or not hmac.compare_digest(verify_token.encode(), expected.encode())
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="verify token does not match")
    return challenge


@router.post(
    "/meta",
    summary="Meta Lead Ads notifications (X-Hub-Signature-256)",
    responses={200: {"description": "Recorded"}, 401: {"description": "Bad signature"}},
)
async def meta_webhook(request: Request, deps: DepsDep) -> Response:
    body = await _signed_body(
        request,
        secret=_settings(deps).meta_app_secret.get_secret_value(),
        header="X-Hub-Signature-256",
        matches=meta_signature_matches,
    )
    for notice in meta_notices(_json(body)):
        await _record(
            deps,
            "meta",
            notice.leadgen_id,
            {
                "leadgen_id": notice.leadgen_id,
                "form_id": notice.form_id,
                "page_id": notice.page_id,
                "ad_id": notice.ad_id,
            },
        )
    capture_parts(deps).fetches_due.expect(deps.clock())
    return PlainTextResponse("EVENT_RECEIVED")


# --- LinkedIn Lead Sync ------------------------------------------------------------------------


@router.get(
    "/linkedin",
    summary="LinkedIn's endpoint validation (challengeCode, a UUID)",
    responses={422: {"description": "challengeCode is not a UUID"}},
)
async def linkedin_challenge(
    deps: DepsDep, challenge_code: Annotated[str, Query(alias="challengeCode", min_length=1, max_length=200)]
) -> dict[str, str]:
    secret = _settings(deps).linkedin_client_secret.get_secret_value()
    if not secret:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="LinkedIn is not configured")
    # Only the shape LinkedIn sends is answered: an answer is an HMAC under the secret that also
    # signs notifications, and no UUID can be the signed form of a notification body.
    if not is_linkedin_challenge_code(challenge_code):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=[
                {
                    "loc": ["query", "challengeCode"],
                    "msg": "LinkedIn's challenge code is a UUID (8-4-4-4-12 hex digits)",
                    "type": "value_error",
                }
            ],
        )
    return {
        "challengeCode": challenge_code,
        "challengeResponse": linkedin_challenge_response(secret, challenge_code),
    }


@router.post(
    "/linkedin",
    summary="LinkedIn lead notifications (X-LI-Signature): CREATED is fetched, DELETED erases",
    responses={200: {"description": "Recorded"}, 401: {"description": "Bad signature"}},
)
async def linkedin_webhook(request: Request, deps: DepsDep) -> Response:
    body = await _signed_body(
        request,
        secret=_settings(deps).linkedin_client_secret.get_secret_value(),
        header="X-LI-Signature",
        matches=linkedin_signature_matches,
    )
    notice = linkedin_notice(_json(body))
    if notice is None:
        return Response(status_code=200)
    if notice.action == "DELETED":
        await _erase_linkedin_lead(deps, notice.response_id)
    else:
        await _record(
            deps,
            "linkedin",
            notice.response_id,
            {"response_id": notice.response_id, "form": notice.form, "lead_type": notice.lead_type},
        )
        capture_parts(deps).fetches_due.expect(deps.clock())
    return Response(status_code=200)


async def _erase_linkedin_lead(deps: Deps, response_id: str) -> None:
    now = deps.clock()
    async with deps.transaction() as (session, outbox):
        lead = await withdraw_linkedin_lead(session, response_id)
        if lead is not None:
            await erase_person(session, outbox, lead=lead, now=now, correlation_id=uuid4())
