"""Sending one request to a sales tool, safely: the URL's host is resolved here and every address
checked (domain/targets.py) on each connection, then the request goes to the checked address
with the name as its Host and TLS server name (so the certificate is still checked against the
name); redirects are not followed; 5 s to connect, 15 s in all; the answer is read up to a small
limit. httpx does the HTTP; this only pins where it connects.

A kept-alive connection the endpoint closed just as a request went out (its idle timeout — 5 s
for uvicorn and Node, 2 s for gunicorn — racing ours) fails before any answer; that request is
sent once more, at once, on a new connection, as browsers do, instead of counting as a failed
attempt and waiting out the retry schedule. The endpoint never answered it, and a delivery is at
least once anyway (its webhook-id lets the receiver drop a repeat)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv6Address

import httpx

from sla_monitor.delivery.domain.outcomes import Answer
from sla_monitor.delivery.domain.schedule import parse_retry_after
from sla_monitor.delivery.domain.targets import RefusedTarget, TargetRules, check_addresses, parse_target

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_ANSWER_BYTES = 64 * 1024
CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 15.0
# failing after the connection was made and before an answer came: the endpoint dropped it
CLOSED_BEFORE_ANSWER = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass(frozen=True)
class Sent:
    answer: Answer
    latency_ms: int
    body: bytes  # the answer's first MAX_ANSWER_BYTES


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class SafeSender:
    def __init__(
        self,
        rules: TargetRules,
        *,
        resolver: Resolver = resolve,
        connect_seconds: float = CONNECT_SECONDS,
        total_seconds: float = TOTAL_SECONDS,
    ) -> None:
        self.rules = rules
        self._resolve = resolver
        self._total = total_seconds
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(total_seconds, connect=connect_seconds),
            trust_env=False,  # no proxy from the environment: the address checked is the one used
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def check(self, url: str) -> None:
        """RefusedTarget unless the URL and every address its host has now may receive deliveries."""
        target = parse_target(url, self.rules)
        check_addresses(target.host, await self._addresses(target.host, target.port), self.rules)

    async def send(
        self, method: str, url: str, *, body: bytes | None, headers: Mapping[str, str], now: datetime
    ) -> Sent:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._total):
                return await self._send(method, url, body, headers, now, started)
        except RefusedTarget as refused:
            return Sent(Answer(None, f"refused: {refused}"), _ms(started), b"")
        except (TimeoutError, httpx.TimeoutException):
            return Sent(Answer(None, f"no answer within {self._total:g} s"), _ms(started), b"")
        except httpx.HTTPError as error:
            # httpx's messages may quote the URL, which may hold a token: name the kind only
            return Sent(Answer(None, f"connection failed ({type(error).__name__})"), _ms(started), b"")

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        now: datetime,
        started: float,
    ) -> Sent:
        target = parse_target(url, self.rules)
        (address, *_) = check_addresses(
            target.host, await self._addresses(target.host, target.port), self.rules
        )
        literal = f"[{address}]" if isinstance(address, IPv6Address) else str(address)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self._client.build_request(
            method,
            f"{target.scheme}://{literal}:{target.port}{target.path}",
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        try:
            response = await self._client.send(request, stream=True)
        except CLOSED_BEFORE_ANSWER:
            response = await self._client.send(request, stream=True)
        try:
            read = bytearray()
            async for chunk in response.aiter_raw():
                read += chunk
                if len(read) >= MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        status = response.status_code
        error = None if 200 <= status < 300 else f"the endpoint answered {status}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        return Sent(Answer(status, error, retry_after), _ms(started), bytes(read[:MAX_ANSWER_BYTES]))

    async def _addresses(self, host: str, port: int) -> list[str]:
        try:
            return await self._resolve(host, port)
        except OSError:
            raise RefusedTarget(f"{host} does not resolve") from None


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
