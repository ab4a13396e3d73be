"""Endpoints of sales tools for the tests: real HTTP servers on 127.0.0.1 (uvicorn). `Receiver`
records every request and answers as it is told — a status per request in turn, then a default —
so a test sees exactly what the delivery worker sent, in the order it arrived."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0  # wall-clock seconds it arrived (Receiver records it)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LocalServer:
    """A Starlette app served on 127.0.0.1 until stopped (and startable again on the same port)."""

    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        raise NotImplementedError

    async def start(self) -> None:
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        # listening before the server task runs: a request sent at once waits in the backlog
        listening = socket.socket()
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(("127.0.0.1", self.port))
        listening.listen(64)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[listening]))

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


Server = TypeVar("Server", bound=LocalServer)


@contextlib.asynccontextmanager
async def served(server: Server) -> AsyncIterator[Server]:
    """A server started for a test (a fixture's body) and stopped after it."""
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Receiver(LocalServer):
    received: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)
    default: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    refuse_containing: bytes | None = None  # a body holding these bytes is answered 500

    @property
    def url(self) -> str:
        return f"{self.base}/hooks/leads"

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(
            Received(request.method, request.url.path, dict(request.headers), body, time.time())
        )
        status = self.answers.popleft() if self.answers else self.default
        if self.refuse_containing is not None and self.refuse_containing in body:
            status = 500
        return Response("ok" if status < 300 else "no", status_code=status, headers=self.headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
