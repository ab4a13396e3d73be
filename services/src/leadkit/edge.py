"""The HTTP edge every service shares: what is refused before a route sees a request.

- A body larger than `max_body_bytes` gets 413, whether its length is declared or it arrives
  chunked (the body is read here whole, so FastAPI's body parser never meets the limit and
  answers 400).
- A JSON body is decoded once here with NaN, Infinity and out-of-range numbers marked, then
  walked (`leadkit.bounds`): NUL, lone surrogates, non-finite numbers and nesting deeper than
  `MAX_DEPTH` are a 422 naming each place, in FastAPI's shape. A body nested past what Python's
  decoder can follow is a 422 too, not a RecursionError. Form bodies, text bodies and query
  strings and paths get the text check.
- Routes that answer each item of a batch on its own (`itemwise`) are not refused here for an
  item's values: they check each item with `item_problems`, so one bad item costs only itself.
- A client address that keeps failing authentication (401) has its further failures answered
  429 for a while, on every service (`auth_failures_per_minute`); good keys still pass.
- Validation errors are answered without echoing what cannot be encoded.

Hand-written as one ASGI middleware because it must see the raw bytes before FastAPI decodes
them (FastAPI's decoder accepts NaN and turns a RecursionError into a 500).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadkit.bounds import MAX_DEPTH, ValueProblem, non_finite, parse_number, text_problem, value_problems
from leadkit.rate_limit import RateLimiter


def _decode_json(body: bytes) -> Any:
    return json.loads(body, parse_constant=non_finite, parse_float=parse_number)


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def body_problems(
    content_type: bytes, body: bytes, *, itemwise: str | None = None
) -> list[dict[str, Any]] | None:
    """FastAPI-shaped errors for a body that cannot be taken, or None. For an `itemwise` route,
    the values inside `body[itemwise][i]` are left to the route (`item_problems`)."""
    media = content_type.split(b";", 1)[0].strip().lower()
    if not body:
        return None
    if _is_json(content_type):
        try:
            decoded = _decode_json(body)
        except RecursionError:
            return [_error(("body",), f"nested deeper than {MAX_DEPTH} levels", "too_deep")]
        except (ValueError, UnicodeDecodeError):
            return None  # not JSON at all: FastAPI answers 422 json_invalid with the position
        if itemwise and isinstance(decoded, dict) and isinstance(decoded.get(itemwise), list):
            problems = [p for p in value_problems(decoded, limit=10_000) if not _inside_item(p, itemwise)]
        else:
            problems = value_problems(decoded)
        return [p.as_error("body") for p in problems] or None
    if media == b"multipart/form-data":
        # leadloop takes no file uploads: a NUL byte can only be a text field's, which PostgreSQL
        # cannot store (a field's bytes that are not UTF-8 are replaced when the form is read)
        if b"\x00" in body:
            return [_error(("body",), "text may not contain the NUL character", "string_unstorable")]
        return None
    if media == b"application/x-www-form-urlencoded" or media.startswith(b"text/"):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return [_error(("body",), "the body is not valid UTF-8", "unicode_invalid")]
        pairs = parse_qsl(text, keep_blank_values=True) if media.endswith(b"urlencoded") else [("", text)]
        errors = [
            _error(("body", name) if name else ("body",), problem, "string_unstorable")
            for name, value in pairs
            for problem in (text_problem(name) or text_problem(value),)
            if problem
        ]
        return errors or None
    return None


def _inside_item(problem: ValueProblem, itemwise: str) -> bool:
    return len(problem.loc) >= 2 and problem.loc[0] == itemwise


def item_problems(item: Any, where: str, index: int) -> list[dict[str, Any]]:
    """An itemwise route's check of one item: its errors, located as `[where, index, …]` (the
    item sits two levels down, so its own nesting bound is two less)."""
    return [p.as_error(where, index) for p in value_problems(item, max_depth=MAX_DEPTH - 2)]


def path_problems(path: str) -> list[dict[str, Any]] | None:
    problem = text_problem(path)
    return [_error(("path",), problem, "string_unstorable")] if problem else None


def query_problems(query_string: bytes) -> list[dict[str, Any]] | None:
    try:
        text = query_string.decode("latin-1")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return [_error(("query",), "the query string is not valid UTF-8", "unicode_invalid")]
    errors = [
        _error(("query", name), problem, "string_unstorable")
        for name, value in pairs
        for problem in (text_problem(name) or text_problem(value),)
        if problem
    ]
    return errors or None


def _error(loc: Sequence[str | int], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


class _TooLarge(Exception):
    pass


class EdgeGuard:
    """The ASGI middleware; `create_service_app` installs it outermost on every service."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        auth_failures: RateLimiter | None,
        itemwise: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.auth_failures = auth_failures
        self.itemwise = itemwise or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "unknown"
        problems = path_problems(scope.get("path", "")) or query_problems(scope.get("query_string", b""))
        if problems:
            await _answer(send, 422, {"detail": problems})
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        try:
            body = await self._read_body(receive)
        except _TooLarge:
            await self._too_large(send)
            return
        problems = body_problems(
            headers.get(b"content-type", b""), body, itemwise=self.itemwise.get(scope["path"])
        )
        if problems:
            await _answer(send, 422, {"detail": problems})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the client's disconnect

        throttled = False

        async def watch(message: Message) -> None:
            # a refused key from an address past its budget is answered 429 instead of 401, so a
            # guesser learns nothing more from it; a good key from the same address (a shared
            # NAT) is answered as usual
            nonlocal throttled
            if (
                self.auth_failures is not None
                and message["type"] == "http.response.start"
                and message["status"] == 401
            ):
                now = time.monotonic()
                wait = self.auth_failures.waiting(address, now)
                self.auth_failures.failed(address, now)
                if wait:
                    throttled = True
                    await _answer(
                        send,
                        429,
                        {"detail": f"too many failed authentications here; retry after {wait} s"},
                        headers=[(b"retry-after", str(wait).encode())],
                    )
                    return
            if not throttled:
                await send(message)

        await self.app(scope, replay, watch)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client left; the app sees an empty body and its own disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        await _answer(
            send,
            413,
            {
                "detail": [
                    _error(("body",), f"request body larger than {self.max_body_bytes} bytes", "too_large")
                ]
            },
        )


async def _answer(
    send: Send, status: int, content: dict[str, Any], *, headers: Collection[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return False
    return True


def safe_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Validation errors without what cannot be encoded: an `input` or `ctx` that JSON cannot
    carry is left out (the `loc` and `msg` still name the field), a long input is cut."""
    safe: list[dict[str, Any]] = []
    for error in errors:
        entry = {key: error[key] for key in ("loc", "msg", "type") if key in error}
        entry["loc"] = [part if isinstance(part, int) else str(part) for part in entry.get("loc", ())]
        if not _encodable(entry["loc"]):
            entry["loc"] = ["body"]
        if not _encodable(entry.get("msg")):
            entry["msg"] = "invalid value"
        if "input" in error and _encodable(error["input"]) and len(repr(error["input"])) <= 200:
            entry["input"] = error["input"]
        ctx = error.get("ctx")
        if isinstance(ctx, dict):
            entry["ctx"] = {key: value if _encodable(value) else str(value) for key, value in ctx.items()}
            if not _encodable(entry["ctx"]):
                del entry["ctx"]
        safe.append(entry)
    return safe


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": safe_errors(exc.errors())}, status_code=422)


def guard_the_edge(
    app: FastAPI,
    *,
    max_body_bytes: int,
    auth_failures_per_minute: float | None,
    itemwise: dict[str, str] | None = None,
) -> None:
    """`auth_failures_per_minute` None: the service throttles failed authentication itself."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_middleware(
        EdgeGuard,
        max_body_bytes=max_body_bytes,
        auth_failures=None
        if auth_failures_per_minute is None
        else RateLimiter(rate=auth_failures_per_minute / 60, burst=auth_failures_per_minute),
        itemwise=itemwise,
    )
