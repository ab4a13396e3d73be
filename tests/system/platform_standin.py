"""A local stand-in for the ad platforms' lead APIs (Meta's Graph API, LinkedIn's Lead Sync),
serving their documented response shapes. These APIs are on the public internet, which tests
cannot reach; everything on leadloop's side of the wire is the real thing.

Tests register what a lead id should return (`PUT /_leads/{platform}/{id}`), optionally failing
the first N fetches with 500 to exercise the retries.

    python -m tests.system.platform_standin PORT
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, HTTPException, Request

app = FastAPI(title="ad platform stand-in")
LEADS: dict[tuple[str, str], dict[str, Any]] = {}
FAILURES: dict[tuple[str, str], int] = {}
FORMS: dict[str, dict[str, Any]] = {}
FETCHES: dict[tuple[str, str], int] = {}


@app.put("/_leads/{platform}/{lead_id:path}")
async def register(platform: str, lead_id: str, request: Request) -> dict[str, str]:
    body = await request.json()
    LEADS[(platform, lead_id)] = body["lead"]
    FAILURES[(platform, lead_id)] = int(body.get("fail_first", 0))
    if "form" in body:
        FORMS[str(body["form_id"])] = body["form"]
    return {"ok": "registered"}


@app.get("/_fetches/{platform}/{lead_id:path}")
async def fetches(platform: str, lead_id: str) -> dict[str, int]:
    return {"fetches": FETCHES.get((platform, lead_id), 0)}


def _serve(platform: str, lead_id: str) -> dict[str, Any]:
    key = (platform, lead_id)
    FETCHES[key] = FETCHES.get(key, 0) + 1
    if FAILURES.get(key, 0) > 0:
        FAILURES[key] -= 1
        raise HTTPException(500, detail="temporarily unavailable")
    if key not in LEADS:
        raise HTTPException(404, detail={"error": {"message": "Unsupported get request", "code": 100}})
    return LEADS[key]


def _check_bearer(request: Request, setting: str) -> None:
    """The token capture is configured with (the stand-in runs with the same environment), sent as
    a bearer token; a token in the query string is refused, so a leak there fails the test."""
    if "access_token" in request.query_params:
        raise HTTPException(400, detail="access_token in the query string: send it in a header")
    if request.headers.get("authorization") != f"Bearer {os.environ.get(setting, '')}":
        raise HTTPException(401, detail={"error": {"message": "Invalid OAuth access token", "code": 190}})


@app.get("/graph/{version}/{leadgen_id}")
async def meta_lead(version: str, leadgen_id: str, request: Request, fields: str = "") -> dict[str, Any]:
    _check_bearer(request, "CAPTURE_META_ACCESS_TOKEN")
    return _serve("meta", leadgen_id)


@app.get("/rest/leadFormResponses/{response_id:path}")
async def linkedin_response(response_id: str, request: Request) -> dict[str, Any]:
    _check_bearer(request, "CAPTURE_LINKEDIN_ACCESS_TOKEN")
    return _serve("linkedin", response_id)


@app.get("/rest/leadForms/{form_id}")
async def linkedin_form(form_id: str) -> dict[str, Any]:
    if form_id not in FORMS:
        raise HTTPException(404)
    return FORMS[form_id]


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
