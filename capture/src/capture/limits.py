"""Abuse limits at the HTTP edge: request body size, and per-key / per-IP request rates.

Rates are counted per instance (in memory): with N instances behind a balancer a client gets up
to N times the rate. Body size is checked on the declared length and on the bytes as they arrive.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from capture.domain.rate_limit import RateLimiter
from capture.settings import CaptureSettings


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "detail": [
                    {
                        "loc": ["body"],
                        "msg": f"request body larger than {self.max_bytes} bytes",
                        "type": "too_large",
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(limiter: RateLimiter, key: str, *, what: str) -> None:
    wait = limiter.retry_after(key, time.monotonic())
    if wait:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many requests for this {what}; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )


@dataclass(frozen=True)
class Limiters:
    key: RateLimiter  # per API key
    ip: RateLimiter  # per client address, on the API and webhooks
    form_ip: RateLimiter  # per client address, on browser forms


def limiters(settings: CaptureSettings) -> Limiters:
    return Limiters(
        key=RateLimiter(rate=settings.rate_limit_per_key, burst=settings.rate_limit_per_key * 2),
        ip=RateLimiter(rate=settings.rate_limit_per_ip, burst=settings.rate_limit_per_ip * 2),
        form_ip=RateLimiter(
            rate=settings.form_rate_limit_per_ip / 60, burst=max(3.0, settings.form_rate_limit_per_ip / 2)
        ),
    )
