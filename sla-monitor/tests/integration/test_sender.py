"""The sender against a raw HTTP/1.1 endpoint on 127.0.0.1 that closes connections as real servers
do: a kept-alive connection dropped just as a request goes out is sent again once on a new
connection (not an attempt lost to the retry schedule); an endpoint that never answers gets that
one extra request and no more; a host name is resolved and checked on each new connection, the
request going to the checked address under the name (DNS rebinding is caught), and a literal
address is checked too."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from sla_monitor.delivery.domain.targets import TargetRules
from sla_monitor.delivery.sender import SafeSender

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"


@dataclass
class DroppingEndpoint:
    """Answers the first `answered` requests of each connection, then reads the next and closes
    without a word (an idle timeout racing the request, as the client sees it)."""

    answered: int
    requests: list[int] = field(default_factory=list)  # the connection each request came on
    heads: list[bytes] = field(default_factory=list)
    connections: int = 0
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        try:
            for turn in range(self.answered + 1):
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests.append(connection)
                self.heads.append(head)
                if turn == self.answered:
                    break
                writer.write(OK)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def sender() -> AsyncIterator[SafeSender]:
    found = SafeSender(TargetRules.of(allow_http=True, allowed=["127.0.0.1/32"]), total_seconds=5)
    yield found
    await found.close()


async def serving(endpoint: DroppingEndpoint) -> DroppingEndpoint:
    endpoint.server = await asyncio.start_server(endpoint._serve, "127.0.0.1", 0)
    return endpoint


async def post(sender: SafeSender, url: str) -> int | None:
    sent = await sender.send(
        "POST", url, body=b'{"a":1}', headers={"content-type": "application/json"}, now=datetime.now(UTC)
    )
    return sent.answer.status


async def test_a_dropped_kept_alive_connection_is_sent_again_on_a_new_one(sender: SafeSender) -> None:
    endpoint = await serving(DroppingEndpoint(answered=1))
    try:
        assert await post(sender, endpoint.url) == 200
        assert await post(sender, endpoint.url) == 200  # the kept connection dropped it: sent anew
        assert endpoint.requests == [1, 1, 2]
    finally:
        assert endpoint.server is not None
        endpoint.server.close()


async def test_an_endpoint_that_never_answers_gets_one_resend_and_a_failure(sender: SafeSender) -> None:
    endpoint = await serving(DroppingEndpoint(answered=0))
    try:
        sent = await sender.send("POST", endpoint.url, body=b"{}", headers={}, now=datetime.now(UTC))
        assert sent.answer.status is None
        assert sent.answer.error == "connection failed (ServerDisconnectedError)"
        assert endpoint.requests == [1, 2]
    finally:
        assert endpoint.server is not None
        endpoint.server.close()


async def test_a_name_goes_to_its_checked_address_and_a_rebound_name_is_refused() -> None:
    endpoint = await serving(DroppingEndpoint(answered=10))
    assert endpoint.server is not None
    port = endpoint.server.sockets[0].getsockname()[1]
    answers = {"hooks.crm.test": ["127.0.0.1"]}

    async def names(host: str, _port: int) -> list[str]:
        return answers[host]

    rules = TargetRules.of(allow_http=True, allowed=["127.0.0.1/32"])
    url = f"http://hooks.crm.test:{port}/hooks"
    first, rebound = SafeSender(rules, resolver=names), SafeSender(rules, resolver=names)
    try:
        assert await post(first, url) == 200
        assert f"host: hooks.crm.test:{port}".encode() in endpoint.heads[0].lower()
        answers["hooks.crm.test"] = ["127.0.0.1", "10.20.30.40"]  # the name now points inside too
        sent = await rebound.send("POST", url, body=b"{}", headers={}, now=datetime.now(UTC))
        assert sent.answer.status is None
        assert sent.answer.error is not None
        assert "10.20.30.40 is a private address" in sent.answer.error
        assert len(endpoint.requests) == 1  # nothing went out on the rebound name
    finally:
        await first.close()
        await rebound.close()
        endpoint.server.close()


async def test_a_literal_loopback_address_is_refused_unless_allowed() -> None:
    endpoint = await serving(DroppingEndpoint(answered=10))
    strict = SafeSender(TargetRules.of(allow_http=True, allowed=[]))
    try:
        sent = await strict.send("POST", endpoint.url, body=b"{}", headers={}, now=datetime.now(UTC))
        assert sent.answer.error is not None
        assert "loopback" in sent.answer.error
        assert endpoint.requests == []
    finally:
        await strict.close()
        assert endpoint.server is not None
        endpoint.server.close()
