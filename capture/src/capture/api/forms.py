"""Plain HTML form posts, straight from browsers.

A browser cannot send custom headers from a plain <form>, so a form is authenticated by the
public key in its action URL, and protected by an origin allow-list, a honeypot field and a
per-IP rate limit. CORS is answered here rather than by Starlette's middleware because the
allowed origins are per form, read from the database.
"""

from __future__ import annotations

import hmac
import html
from typing import Annotated, Any
from urllib.parse import urlsplit
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError

from capture.api.models import LeadCreate
from capture.db.forms import form_by_id, form_with_public_key
from capture.db.tables import Form
from capture.domain.spam import HONEYPOT_FIELD, spam_reason
from capture.intake import accept
from capture.limits import client_ip, enforce
from capture.parts import capture_parts
from leadkit.service import Deps, get_deps

router = APIRouter(prefix="/v1/forms", tags=["forms"])
DepsDep = Annotated[Deps, Depends(get_deps)]
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


def cors_headers(form: Form, origin: str | None) -> dict[str, str]:
    if origin is None:
        return {}
    allowed = not form.allowed_origins or origin in form.allowed_origins
    if not allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Accept",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


async def _form(deps: Deps, form_id: str, key: str) -> Form:
    async with deps.sessions() as session:
        form = await form_by_id(session, form_id)
    if (
        form is None
        or form.disabled_at is not None
        or not hmac.compare_digest(key.encode(), form.public_key.encode())
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such form, or the key in its URL is wrong")
    return form


async def form_by_key(deps: Deps, key: str) -> Form | None:
    """The enabled form whose public key this is (for paths that carry only the key)."""
    async with deps.sessions() as session:
        form = await form_with_public_key(session, key)
    return form if form is not None and form.disabled_at is None else None


def origin_allowed(form: Form, request: Request) -> tuple[bool, str | None]:
    origin = request.headers.get("origin") or origin_of(request.headers.get("referer"))
    return (not form.allowed_origins or origin in form.allowed_origins), origin


@router.options("/{form_id}", include_in_schema=False)
async def preflight(
    form_id: str, request: Request, deps: DepsDep, key: Annotated[str, Query()] = ""
) -> Response:
    form = await _form(deps, form_id, key)
    headers = cors_headers(form, request.headers.get("origin"))
    return Response(status_code=204 if headers else 403, headers=headers)


@router.post(
    "/{form_id}",
    summary="A browser's form post (urlencoded or multipart): 303 to the thank-you page, or JSON",
    responses={
        303: {"description": "Accepted; to the thank-you page"},
        202: {"description": "Accepted (JSON)"},
        403: {"description": "Origin not allowed"},
        404: {"description": "No such form or wrong key"},
        415: {"description": "Not a form post"},
        422: {"description": "A field is wrong"},
        429: {"description": "Too many posts from this address"},
    },
)
async def post_form(
    form_id: str,
    request: Request,
    deps: DepsDep,
    key: Annotated[str, Query(description="The form's public key", max_length=200)],
) -> Response:
    enforce(capture_parts(deps).limiters.form_ip, client_ip(request), what="client address")
    form = await _form(deps, form_id, key)
    allowed, origin = origin_allowed(form, request)
    if not allowed:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"origin {origin or '(none)'} may not post this form"
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=f"send one of {', '.join(FORM_TYPES)}"
        )
    posted = await request.form()
    fields: dict[str, str] = {name: value for name, value in posted.multi_items() if isinstance(value, str)}
    honeypot = fields.pop(HONEYPOT_FIELD, None)
    fields.setdefault("form_id", form_id)
    fields.setdefault("page_url", request.headers.get("referer") or "")
    cors = cors_headers(form, request.headers.get("origin"))
    try:
        lead = LeadCreate.model_validate(fields)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        if _wants_html(request):
            return HTMLResponse(_error_page(errors, back=request.headers.get("referer")), 422, headers=cors)
        return JSONResponse({"detail": errors}, status_code=422, headers=cors)
    answer = await accept(
        deps,
        lead.to_submission(via="form", default_source=form.source),
        correlation_id=uuid4(),
        spam=spam_reason(email=lead.email, honeypot=honeypot),
        ip=client_ip(request),
        raw=dict(fields),
    )
    if "application/json" in request.headers.get("accept", ""):
        # a receipt, not the lead id: whoever posts a public form learns nothing of whether the
        # email was already a lead (the receipt is the correlation id of all the post causes)
        receipt = {"receipt": answer.body.get("correlation_id")} if answer.status_code == 202 else answer.body
        return JSONResponse(receipt, status_code=answer.status_code, headers=cors)
    thanks = form.thank_you_url or f"{request.base_url}v1/forms/{form_id}/thanks"
    return RedirectResponse(thanks, status_code=status.HTTP_303_SEE_OTHER, headers=cors)


def _wants_html(request: Request) -> bool:
    """A browser's own form post asks for HTML; scripts and curl ask for JSON or anything."""
    accept_header = request.headers.get("accept", "")
    return "text/html" in accept_header and "application/json" not in accept_header


def _error_page(errors: list[dict[str, Any]], *, back: str | None) -> str:
    """What a visitor without JavaScript sees: each wrong field and a way back to the form."""
    items = "".join(
        f"<li><strong>{html.escape(str(e['loc'][-1]))}</strong>: {html.escape(e['msg'])}</li>" for e in errors
    )
    link = f'<p><a href="{html.escape(back, quote=True)}">Back to the form</a></p>' if back else ""
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Please check the form</title>'
        f"<h1>Please check the form</h1><ul>{items}</ul>{link}</html>"
    )


@router.get("/{form_id}/thanks", response_class=HTMLResponse, include_in_schema=False)
async def thanks(form_id: str) -> str:
    return "<!doctype html><title>Thank you</title><p>Thank you — we will be in touch.</p>"
