"""An endpoint for the delivery benchmark that costs next to nothing per request: a bare asyncio
protocol that reads HTTP/1.1 requests off kept-alive connections, notes each one's `webhook-id`
and arrival time, and answers with a fixed status (or after a delay). The tests' uvicorn
`Receiver` spends more CPU per request than the sender does, and on a two-core machine that
would be measured as the sender's latency. Not a general HTTP server: the sender's requests only
(Content-Length bodies, no chunked encoding)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast


@dataclass(frozen=True)
class Arrival:
    webhook_id: str
    at: float  # wall-clock seconds


def _answer(status: int) -> bytes:
    return f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n".encode()


@dataclass
class LeanReceiver:
    status: int = 200
    delay_seconds: float = 0.0  # answer this late (an endpoint hanging past the sender's timeout)
    received: list[Arrival] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hooks/leads"

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Connection(self), "127.0.0.1", 0, backlog=512
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def ids(self) -> set[str]:
        return {arrival.webhook_id for arrival in self.received}


class _Connection(asyncio.Protocol):
    def __init__(self, receiver: LeanReceiver) -> None:
        self.receiver = receiver
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").lower()
            headers = dict(line.split(":", 1) for line in head.split("\r\n")[1:] if ":" in line)
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.receiver.received.append(Arrival(headers.get("webhook-id", "").strip(), time.time()))
            answer = _answer(self.receiver.status)
            if self.receiver.delay_seconds:
                asyncio.get_running_loop().call_later(self.receiver.delay_seconds, self._write, answer)
            else:
                self._write(answer)

    def _write(self, answer: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
