"""HubSpot-style form submissions: the Forms API v3 `submit` endpoint, answered like HubSpot.

A site whose form code posts to `https://api.hsforms.com/submissions/v3/integration/submit/
{portalId}/{formGuid}` switches to leadloop by changing the base URL and using a leadloop form's
public key as the `formGuid`. Like HubSpot's unauthenticated endpoint it takes JSON straight from
browsers, so it is protected as plain forms are: the key, the form's origin allow-list, the
per-IP limit and CORS. Answers and errors keep HubSpot's shapes, so the site's code that reads
`inlineMessage`, `redirectUri` or `errors[].errorType` keeps working.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, Path, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from capture.api.forms import cors_headers, form_by_key, origin_allowed
from capture.api.models import LeadCreate
from capture.domain.hubspot import HUBSPOT_PROPERTIES, hubspot_submission, submitted_at
from capture.domain.spam import spam_reason
from capture.intake import accept
from capture.limits import client_ip, enforce
from capture.parts import capture_parts
from leadkit.service import Deps, get_deps

router = APIRouter(prefix="/v1/hubspot", tags=["forms"])
DepsDep = Annotated[Deps, Depends(get_deps)]
SUBMIT = "/submissions/v3/integration/submit/{portal_id}/{form_guid}"
THANKS = "Thanks for submitting the form."
PortalId = Annotated[str, Path(max_length=40, description="Your HubSpot portal id; recorded, not checked")]
FormGuid = Annotated[str, Path(max_length=200, description="The leadloop form's public key")]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class HubSpotField(_Lenient):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)

    object_type_id: str | None = Field(default=None, alias="objectTypeId", max_length=20)
    name: str = Field(min_length=1, max_length=200)
    value: str = Field(max_length=10_000)


class HubSpotContext(_Lenient):
    hutk: str | None = Field(default=None, max_length=200)
    ip_address: str | None = Field(default=None, alias="ipAddress", max_length=100)
    page_uri: str | None = Field(default=None, alias="pageUri", max_length=2000)
    page_name: str | None = Field(default=None, alias="pageName", max_length=500)
    page_id: str | None = Field(default=None, alias="pageId", max_length=100)


class HubSpotCommunication(_Lenient):
    value: bool | None = None
    subscription_type_id: int | None = Field(default=None, alias="subscriptionTypeId")
    text: str | None = Field(default=None, max_length=2000)


class HubSpotConsent(_Lenient):
    consent_to_process: bool | None = Field(default=None, alias="consentToProcess")
    text: str | None = Field(default=None, max_length=2000)
    communications: list[HubSpotCommunication] = Field(default_factory=list, max_length=50)


class HubSpotLegitimateInterest(_Lenient):
    value: bool | None = None
    subscription_type_id: int | None = Field(default=None, alias="subscriptionTypeId")
    legal_basis: str | None = Field(default=None, alias="legalBasis", max_length=50)
    text: str | None = Field(default=None, max_length=2000)


class HubSpotLegalConsent(_Lenient):
    consent: HubSpotConsent | None = None
    legitimate_interest: HubSpotLegitimateInterest | None = Field(default=None, alias="legitimateInterest")


class HubSpotSubmissionBody(_Lenient):
    """The body of HubSpot's Forms API v3 `submit` call."""

    fields: list[HubSpotField] = Field(max_length=1000)
    submitted_at: int | None = Field(default=None, alias="submittedAt", ge=0, lt=10**14, description="ms")
    context: HubSpotContext = Field(default_factory=HubSpotContext)
    legal_consent_options: HubSpotLegalConsent | None = Field(default=None, alias="legalConsentOptions")
    skip_validation: bool | None = Field(default=None, alias="skipValidation")


def _error(
    status_code: int, message: str, errors: list[dict[str, str]], headers: dict[str, str]
) -> JSONResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid4()), "errors": errors}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _error_type(field: str, pydantic_type: str) -> str:
    if field == "email":
        return "INVALID_EMAIL"
    if pydantic_type == "missing":
        return "REQUIRED_FIELD"
    return "INVALID_VALUE"


def _body_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "body"
        errors.append({"message": f"Error in '{where}'. {error['msg']}", "errorType": "INVALID_VALUE"})
    return errors


def _lead_errors(exc: ValidationError, came_from: dict[str, str]) -> list[dict[str, str]]:
    """Name each bad field as the site sent it (`fields.firstname`, not leadloop's `first_name`)."""
    errors = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        if field == "occurred_at":
            where = "submittedAt"
        else:
            where = f"fields.{came_from.get(field, field)}" if field else "fields"
        errors.append(
            {"message": f"Error in '{where}'. {error['msg']}", "errorType": _error_type(field, error["type"])}
        )
    return errors


@router.options(SUBMIT, include_in_schema=False)
async def preflight(portal_id: PortalId, form_guid: FormGuid, request: Request, deps: DepsDep) -> Response:
    form = await form_by_key(deps, form_guid)
    if form is None:
        return Response(status_code=404)
    headers = cors_headers(form, request.headers.get("origin"))
    return Response(status_code=204 if headers else 403, headers=headers)


@router.post(
    SUBMIT,
    summary="A HubSpot Forms API v3 submission (JSON, from browsers or servers), answered like HubSpot",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": HubSpotSubmissionBody.model_json_schema(by_alias=True)}
            },
        }
    },
    responses={
        200: {"description": "Accepted: `inlineMessage`, or `redirectUri` when the form has a thank-you URL"},
        400: {"description": "A field or the body is wrong; `errors[].message` names it"},
        403: {"description": "Origin not allowed"},
        404: {"description": "No form has this key"},
        415: {"description": "Not JSON"},
        429: {"description": "Too many posts from this address"},
    },
)
async def submit(portal_id: PortalId, form_guid: FormGuid, request: Request, deps: DepsDep) -> Response:
    enforce(capture_parts(deps).limiters.form_ip, client_ip(request), what="client address")
    form = await form_by_key(deps, form_guid)
    if form is None:
        return _error(status.HTTP_404_NOT_FOUND, "Form not found", [], {})
    cors = cors_headers(form, request.headers.get("origin"))
    allowed, origin = origin_allowed(form, request)
    if not allowed:
        return _error(
            status.HTTP_403_FORBIDDEN, f"Origin {origin or '(none)'} may not post this form", [], {}
        )
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return _error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "Send application/json", [], cors)
    try:
        body = HubSpotSubmissionBody.model_validate(json.loads(await request.body()))
    except ValueError as exc:  # not JSON, or JSON of the wrong shape (ValidationError is a ValueError)
        errors = _body_errors(exc) if isinstance(exc, ValidationError) else []
        return _error(status.HTTP_400_BAD_REQUEST, "The request is not valid", errors, cors)

    consent = body.legal_consent_options.model_dump(by_alias=True) if body.legal_consent_options else {}
    mapped = hubspot_submission(
        fields=[(f.name, f.value) for f in body.fields],
        context=body.context.model_dump(by_alias=True),
        consent_options=consent,
        portal_id=portal_id,
    )
    came_from = {
        target: name for name, target in HUBSPOT_PROPERTIES.items() if name in {f.name for f in body.fields}
    }
    # the mapped fields win over a custom field that happens to share a leadloop name
    data: dict[str, Any] = mapped.attributes | mapped.fields | {"form_id": form.id}
    try:
        lead = LeadCreate.model_validate(data | {"occurred_at": submitted_at(body.submitted_at)})
    except ValidationError as exc:
        return _error(
            status.HTTP_400_BAD_REQUEST, "The request is not valid", _lead_errors(exc, came_from), cors
        )
    await accept(
        deps,
        lead.to_submission(via="form", default_source=form.source),
        correlation_id=uuid4(),
        spam=spam_reason(email=lead.email, honeypot=None),
        ip=client_ip(request),
        raw=data,
    )
    answer = {"redirectUri": form.thank_you_url} if form.thank_you_url else {"inlineMessage": THANKS}
    return JSONResponse(answer, status_code=status.HTTP_200_OK, headers=cors)
