"""The HTTP side of versioned policies: one router per kind, mounted by its service.

POST   {prefix}                      save a draft (TOML, or JSON with Content-Type application/json)
POST   {prefix}/validate             check a document without saving it
GET    {prefix}                      every version, newest last, which one is active
GET    {prefix}/active               the active version and its document
GET    {prefix}/activations          the activation log, newest first
GET    {prefix}/{version}            one version: document and the text as posted
POST   {prefix}/{version}/activate   make it the active one
POST   {prefix}/rollback             activate again the version active before the current one

A wrong document is a 422 whose `problems` name the path of every wrong part (and, for TOML, its
line). Reading, checking and simulating need any console role; saving, activating and rolling
back need `admin`, whose name the activation log keeps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from leadkit.access import Admin, require_role
from leadkit.db import Connection
from leadkit.policies import PolicyStore
from leadkit.policy_document import Format, InvalidPolicy, NothingToRollBack, UnknownVersion
from leadkit.policy_lines import line_of
from leadkit.service import Deps, get_deps

T = TypeVar("T")

MAX_DOCUMENT_BYTES = 256 * 1024
DepsParam = Annotated[Deps, Depends(get_deps)]
Note = Annotated[str | None, Query(max_length=500, description="why: kept with the version")]
# a version number PostgreSQL's integer column can hold; anything larger is a 422, not a 500
VersionNumber = Annotated[int, Path(ge=1, le=2_147_483_647)]


class VersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read straight from the store's values

    version: int
    active: bool
    note: str | None
    created_at: datetime
    created_by: str | None = None  # who saved it; null: the shipped default


class VersionRead(VersionSummary):
    format: str
    document: dict[str, Any]
    source: str


class ActivationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    action: str
    note: str | None
    activated_at: datetime
    by: str | None = None


class ProblemRead(BaseModel):
    path: str
    message: str
    line: int | None = None  # where the path is in a TOML document as posted


class ValidationRead(BaseModel):
    valid: bool
    problems: list[ProblemRead]


async def simulation_subject(
    store: PolicyStore[T], conn: Connection, version: int, start: datetime, end: datetime
) -> tuple[T, int]:
    """What a `…/{version}/simulate` route replays through: the version's parsed policy (404 when
    there is none) and the active version's number; a window whose end is not after its start is a
    422. Each service supplies the history and the replay."""
    if end <= start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "`to` must be after `from`")
    try:
        policy = await store.parsed(conn, version)
    except UnknownVersion as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    active, _ = await store.active(conn)
    return policy, active


def invalid_response(error: InvalidPolicy, source: str | None = None) -> JSONResponse:
    """A 422 naming each wrong part's path and, for a TOML document as posted (`source`), its line."""
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        content={
            "detail": f"the document has {len(error.problems)} wrong part(s)",
            "problems": [
                {
                    "path": p.path,
                    "message": p.message,
                    "line": None if source is None else line_of(source, p.path, p.message),
                }
                for p in error.problems
            ],
        },
    )


async def _document(request: Request) -> tuple[str, Format]:
    media_type = request.headers.get("content-type", "application/toml").split(";")[0].strip().lower()
    format: Format = "json" if media_type.endswith("json") else "toml"
    body = await request.body()
    if len(body) > MAX_DOCUMENT_BYTES:
        raise HTTPException(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, f"documents are at most {MAX_DOCUMENT_BYTES} bytes"
        )
    try:
        return body.decode("utf-8"), format
    except UnicodeDecodeError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the document must be UTF-8 text") from error


_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/toml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


def policy_router(
    store: PolicyStore[Any],
    *,
    prefix: str,
    noun: str,
    tag: str,
) -> APIRouter:
    """The routes that manage one kind of policy. What an activation sets off (a re-score, say)
    is the store's `on_activated`, inside the activation's transaction, so the CLI does it too."""
    router = APIRouter(prefix=prefix, tags=[tag], dependencies=[Depends(require_role("viewer"))])

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=VersionRead,
        summary=f"Save a draft {noun}",
        openapi_extra=_DOCUMENT_BODY,
        responses={422: {"description": "the document's wrong parts, each with its path"}},
    )
    async def save_draft(request: Request, deps: DepsParam, caller: Admin, note: Note = None) -> Any:
        text, format = await _document(request)
        try:
            async with deps.pool.acquire() as conn:
                saved = await store.draft(conn, text, format, note, by=caller.name)
                return VersionRead.model_validate(saved)
        except InvalidPolicy as error:
            return invalid_response(error, text if format == "toml" else None)

    @router.post(
        "/validate",
        response_model=ValidationRead,
        summary=f"Check a {noun} without saving it",
        openapi_extra=_DOCUMENT_BODY,
    )
    async def validate(request: Request, deps: DepsParam) -> Any:
        text, format = await _document(request)
        try:
            async with deps.pool.acquire() as conn:
                await store.checked(conn, text, format)
        except InvalidPolicy as error:
            return invalid_response(error, text if format == "toml" else None)
        return ValidationRead(valid=True, problems=[])

    @router.get("", response_model=list[VersionSummary], summary=f"Every {noun} version")
    async def list_versions(deps: DepsParam) -> list[VersionSummary]:
        async with deps.pool.acquire() as conn:
            return [VersionSummary.model_validate(v) for v in await store.versions(conn)]

    @router.get("/active", response_model=VersionRead, summary=f"The active {noun}")
    async def active(deps: DepsParam) -> VersionRead:
        async with deps.pool.acquire() as conn:
            version, _ = await store.active(conn)
            return VersionRead.model_validate(await store.version(conn, version))

    @router.get(
        "/activations", response_model=list[ActivationRead], summary="The activation log, newest first"
    )
    async def activations(deps: DepsParam) -> list[ActivationRead]:
        async with deps.pool.acquire() as conn:
            return [ActivationRead.model_validate(a) for a in await store.activations(conn)]

    @router.get("/{version}", response_model=VersionRead, summary=f"One {noun} version")
    async def show(version: VersionNumber, deps: DepsParam) -> VersionRead:
        try:
            async with deps.pool.acquire() as conn:
                return VersionRead.model_validate(await store.version(conn, version))
        except UnknownVersion as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error

    @router.post(
        "/{version}/activate",
        response_model=ActivationRead,
        summary=f"Make a {noun} version active",
        responses={422: {"description": "the version names what no longer exists, each with its path"}},
    )
    async def activate(version: VersionNumber, deps: DepsParam, caller: Admin, note: Note = None) -> Any:
        try:
            async with deps.pool.acquire() as conn:
                activation = await store.activate(conn, version, note, by=caller.name)
        except UnknownVersion as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
        except InvalidPolicy as error:
            return invalid_response(error)
        return ActivationRead.model_validate(activation)

    @router.post(
        "/rollback",
        response_model=ActivationRead,
        summary=f"Re-activate the {noun} active before",
    )
    async def rollback(deps: DepsParam, caller: Admin, note: Note = None) -> Any:
        try:
            async with deps.pool.acquire() as conn:
                activation = await store.rollback(conn, note, by=caller.name)
        except NothingToRollBack as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        except InvalidPolicy as error:
            return invalid_response(error)
        return ActivationRead.model_validate(activation)

    return router
