"""Sending one request to a sales tool, safely: every new connection resolves the URL's host
here and checks each address it gets (domain/targets.py) before connecting, so a name that later
resolves elsewhere (DNS rebinding) is caught; a literal address is checked the same way. The
request keeps the name as its Host and TLS server name (the certificate is checked against the
name). Redirects are not followed; 5 s to connect, 15 s in all; the answer is read up to a small
limit.

aiohttp does the HTTP: its resolver hook is where the check belongs (it runs once per connection,
not per request), and it costs a few tens of microseconds of CPU per request where httpx cost
about two milliseconds (measured, 16 at once against a local endpoint) — at a thousand deliveries
a second that is the whole budget of a core.

A kept-alive connection the endpoint closed just as a request went out (its idle timeout — 5 s
for uvicorn and Node, 2 s for gunicorn — racing ours) fails before any answer; that request is
sent once more, at once, on a new connection, as browsers do, instead of counting as a failed
attempt and waiting out the retry schedule. The endpoint never answered it, and a delivery is at
least once anyway (its webhook-id lets the receiver drop a repeat)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from sla_monitor.delivery.domain.outcomes import Answer
from sla_monitor.delivery.domain.schedule import parse_retry_after
from sla_monitor.delivery.domain.targets import RefusedTarget, TargetRules, check_addresses, parse_target

Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_ANSWER_BYTES = 64 * 1024
CONNECT_SECONDS = 5.0
TOTAL_SECONDS = 15.0
KEEP_ALIVE_SECONDS = 4.0  # under the 5 s most servers keep an idle connection
USER_AGENT = "leadloop-deliveries"


@dataclass(frozen=True)
class Sent:
    answer: Answer
    latency_ms: int
    body: bytes  # the answer's first MAX_ANSWER_BYTES


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class CheckingResolver(AbstractResolver):
    """The connector's resolver: a host's addresses, every one allowed, or RefusedTarget."""

    def __init__(self, rules: TargetRules, resolver: Resolver) -> None:
        self.rules = rules
        self._resolve = resolver

    async def addresses(self, host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        try:
            found = await self._resolve(host, port)
        except OSError:
            raise RefusedTarget(f"{host} does not resolve") from None
        return check_addresses(host, found, self.rules)

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in await self.addresses(host, port)
        ]

    async def close(self) -> None:
        return None


def _dropped_before_answer(error: aiohttp.ClientError) -> bool:
    """The connection was made and then closed before an answer (not a refused connection)."""
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return True
    return isinstance(error, aiohttp.ClientOSError) and not isinstance(error, aiohttp.ClientConnectorError)


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
        self._resolver = CheckingResolver(rules, resolver)
        self._total = total_seconds
        self._timeout = aiohttp.ClientTimeout(total=total_seconds, connect=connect_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # made on first use: a session belongs to the event loop it was made in
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                use_dns_cache=False,  # the resolver (and its check) runs for every new connection
                limit=256,
                limit_per_host=32,
                keepalive_timeout=KEEP_ALIVE_SECONDS,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                trust_env=False,  # no proxy from the environment: the address checked is the one used
                headers={"User-Agent": USER_AGENT},
                auto_decompress=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def check(self, url: str) -> None:
        """RefusedTarget unless the URL and every address its host has now may receive deliveries."""
        target = parse_target(url, self.rules)
        await self._resolver.addresses(target.host, target.port)

    async def send(
        self, method: str, url: str, *, body: bytes | None, headers: Mapping[str, str], now: datetime
    ) -> Sent:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._total):
                return await self._send(method, url, body, headers, now, started)
        except RefusedTarget as refused:
            return Sent(Answer(None, f"refused: {refused}"), _ms(started), b"")
        except TimeoutError:
            return Sent(Answer(None, f"no answer within {self._total:g} s"), _ms(started), b"")
        except (aiohttp.ClientError, ValueError) as error:
            # the library's messages may quote the URL, which may hold a token: name the kind only
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
        if _is_address(target.host):  # the connector asks no resolver for an address: check it here
            check_addresses(target.host, [target.host], self.rules)
        request: dict[str, Any] = {"data": body, "headers": dict(headers), "allow_redirects": False}
        try:
            response = await self._client().request(method, url, **request)
        except aiohttp.ClientError as dropped:
            if not _dropped_before_answer(dropped):
                raise
            response = await self._client().request(method, url, **request)
        async with response:
            read = bytearray()
            while len(read) < MAX_ANSWER_BYTES:
                chunk = await response.content.read(MAX_ANSWER_BYTES - len(read))
                if not chunk:
                    break
                read += chunk
            status = response.status
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        why = None if 200 <= status < 300 else f"the endpoint answered {status}"
        return Sent(Answer(status, why, retry_after), _ms(started), bytes(read))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
