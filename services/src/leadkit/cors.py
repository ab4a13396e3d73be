"""CORS for the console: Starlette's middleware, for the console's origins only. A request from
any other origin passes through untouched — Starlette's own would answer every other preflight
with a 400 itself, and routes that answer CORS on their own terms (capture's public forms, each
with the origins its form allows) must still be asked."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Receive, Scope, Send


class ConsoleCors(CORSMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is None or not self.is_allowed_origin(origin):
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
