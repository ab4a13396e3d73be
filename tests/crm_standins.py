"""HubSpot and Salesforce as the tests meet them: servers on 127.0.0.1 that answer, and refuse,
the way each vendor's API reference says — HubSpot's CRM v3 (bearer token; contacts batch upsert
by email; Leads that must carry `hs_lead_name` and an association to a contact, type 578; 429 past
100 requests in 10 s) and Salesforce's REST API (OAuth 2.0 client credentials; Leads that need
LastName and Company; `400` with `[{message, errorCode, fields}]` for a required field or a
duplicate rule; `401 INVALID_SESSION_ID` for an expired token). Each keeps what it was sent."""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.receiver import LocalServer, Received

LEAD_TO_PRIMARY_CONTACT = 578


@dataclass
class HubSpotStandIn(LocalServer):
    token: str = "pat-na1-test-token"
    owners: frozenset[str] = frozenset({"501", "502"})
    limit_per_10_seconds: int = 100
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by email
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1001))
    _recent: deque[float] = field(default_factory=deque)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/crm/v3/objects/contacts/batch/upsert", self._upsert, methods=["POST"]),
                Route("/crm/v3/objects/leads", self._create_lead, methods=["POST"]),
                Route("/crm/v3/objects/leads/{lead_id}", self._update_lead, methods=["PATCH"]),
            ]
        )

    async def _checked(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        body = await request.body()
        self.received.append(Received(request.method, request.url.path, dict(request.headers), body))
        now = time.monotonic()
        while self._recent and now - self._recent[0] > 10:
            self._recent.popleft()
        self._recent.append(now)
        if len(self._recent) > self.limit_per_10_seconds:
            return {}, JSONResponse(
                {
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "policyName": "TEN_SECONDLY_ROLLING",
                },
                status_code=429,
            )
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return {}, self._error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        return (await request.json()), None

    @staticmethod
    def _error(status: int, message: str, category: str) -> JSONResponse:
        return JSONResponse({"status": "error", "message": message, "category": category}, status_code=status)

    def _owner_problem(self, properties: dict[str, Any]) -> JSONResponse | None:
        owner = properties.get("hubspot_owner_id")
        if owner and owner not in self.owners:
            return self._error(400, f"{owner} is not a valid owner id", "VALIDATION_ERROR")
        return None

    async def _upsert(self, request: Request) -> Response:
        body, refused = await self._checked(request)
        if refused is not None:
            return refused
        results = []
        for item in body.get("inputs", []):
            properties = item.get("properties", {})
            if item.get("idProperty") != "email" or properties.get("email") != item.get("id"):
                return self._error(400, "upsert by email needs the email as id", "VALIDATION_ERROR")
            if problem := self._owner_problem(properties):
                return problem
            known = self.contacts.get(item["id"])
            contact = known or {"id": str(next(self._ids)), "properties": {}}
            contact["properties"].update(properties)
            self.contacts[item["id"]] = contact
            results.append({"id": contact["id"], "properties": contact["properties"], "new": known is None})
        return JSONResponse({"status": "COMPLETE", "results": results})

    async def _create_lead(self, request: Request) -> Response:
        body, refused = await self._checked(request)
        if refused is not None:
            return refused
        properties = body.get("properties", {})
        if not properties.get("hs_lead_name"):
            return self._error(400, "hs_lead_name is required", "VALIDATION_ERROR")
        if problem := self._owner_problem(properties):
            return problem
        contact_ids = {c["id"] for c in self.contacts.values()}
        associations = body.get("associations") or []
        primary = [
            a
            for a in associations
            if a.get("to", {}).get("id") in contact_ids
            and {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": LEAD_TO_PRIMARY_CONTACT}
            in a.get("types", [])
        ]
        if not primary:
            return self._error(400, "a lead must be associated with an existing contact", "VALIDATION_ERROR")
        lead = {"id": str(next(self._ids)), "properties": properties, "contact": primary[0]["to"]["id"]}
        self.leads[lead["id"]] = lead
        return JSONResponse({"id": lead["id"], "properties": properties}, status_code=201)

    async def _update_lead(self, request: Request) -> Response:
        body, refused = await self._checked(request)
        if refused is not None:
            return refused
        lead = self.leads.get(request.path_params["lead_id"])
        if lead is None:
            return self._error(404, "resource not found", "OBJECT_NOT_FOUND")
        if problem := self._owner_problem(body.get("properties", {})):
            return problem
        lead["properties"].update(body.get("properties", {}))
        return JSONResponse({"id": lead["id"], "properties": lead["properties"]})


@dataclass
class SalesforceStandIn(LocalServer):
    client_id: str = "3MVG9-connected-app"
    client_secret: str = "sf-client-secret"
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/services/oauth2/token", self._token, methods=["POST"]),
                Route("/services/data/v62.0/sobjects/Lead", self._create, methods=["POST"]),
                Route("/services/data/v62.0/sobjects/Lead/{lead_id}", self._update, methods=["PATCH"]),
            ]
        )

    def expire_tokens(self) -> None:
        self.tokens.clear()

    async def _token(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(request.method, request.url.path, dict(request.headers), body))
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (
            form.get("grant_type") != "client_credentials"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                status_code=400,
            )
        token = f"00D!token{len(self.tokens) + 1}"
        self.tokens.add(token)
        return JSONResponse(
            {"access_token": token, "instance_url": self.base, "token_type": "Bearer", "issued_at": "1"}
        )

    async def _authorized(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        body = await request.body()
        self.received.append(Received(request.method, request.url.path, dict(request.headers), body))
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return {}, JSONResponse(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                status_code=401,
            )
        return (await request.json()), None

    def _owner(self, request: Request, fields: dict[str, Any]) -> str | None:
        # without Sforce-Auto-Assign: FALSE the org's assignment rules would take the lead
        if request.headers.get("sforce-auto-assign", "TRUE").upper() != "FALSE":
            return "005ASSIGNMENTRULE"
        owner: str | None = fields.get("OwnerId")
        return owner

    async def _create(self, request: Request) -> Response:
        fields, refused = await self._authorized(request)
        if refused is not None:
            return refused
        missing = [name for name in ("LastName", "Company") if not fields.get(name)]
        if missing:
            return JSONResponse(
                [
                    {
                        "message": f"Required fields are missing: [{', '.join(missing)}]",
                        "errorCode": "REQUIRED_FIELD_MISSING",
                        "fields": missing,
                    }
                ],
                status_code=400,
            )
        if fields.get("Email") and any(lead.get("Email") == fields["Email"] for lead in self.leads.values()):
            return JSONResponse(
                [
                    {
                        "message": "You're creating a duplicate record. "
                        "We recommend you use an existing record instead.",
                        "errorCode": "DUPLICATES_DETECTED",
                        "fields": [],
                    }
                ],
                status_code=400,
            )
        lead_id = f"00Q{next(self._ids):015d}"
        self.leads[lead_id] = {**fields, "OwnerId": self._owner(request, fields)}
        return JSONResponse({"id": lead_id, "success": True, "errors": []}, status_code=201)

    async def _update(self, request: Request) -> Response:
        fields, refused = await self._authorized(request)
        if refused is not None:
            return refused
        lead = self.leads.get(request.path_params["lead_id"])
        if lead is None:
            return JSONResponse(
                [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
                status_code=404,
            )
        lead.update({**fields, "OwnerId": self._owner(request, fields)})
        return Response(status_code=204)
