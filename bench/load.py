"""An open-loop load generator for POST /v1/leads that costs little CPU.

httpx spends about a millisecond of CPU per request; on two cores shared with the system under
test it could not offer more than ~150 leads/s. This one writes pre-encoded HTTP/1.1 requests
on raw keep-alive connections and reads only the status line, Content-Length and body, so the
generator takes a small share of the cores it measures. wrk cannot do this job: it is closed
loop and cannot hand back each lead's id and the instant it was accepted, which end-to-end
latency needs.

Open loop: request i is sent at start + i / rate whatever the earlier answers; a connection
that is busy is not waited for, another one is opened.

`generate` runs it in a process of its own (`python bench/load.py` is not needed: the bench spawns
it), so the generator's CPU is its own process's, read and subtracted from the machine's.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# a senior buyer asking for a demo: scores above the MQL bar and is routed (the measured leads)
QUALIFYING_LEAD = {
    "job_title": "VP Engineering",
    "company_size": "201-500",
    "industry": "Software",
    "country": "US",
    "form_id": "demo-request",
    "utm_source": "bench",
}

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


@dataclass
class Offered:
    sent: int = 0
    accepted: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    last_sent: float = 0.0
    connections: int = 0


class _Closed(Exception):
    """The server closed a keep-alive connection before answering."""


async def _exchange(reader: Reader, writer: Writer, request: bytes) -> tuple[int, bytes, bool]:
    writer.write(request)
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError) as error:
        raise _Closed(type(error).__name__) from error
    status = int(head[9:12])
    length, keep_alive = 0, True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            keep_alive = False
    body = await reader.readexactly(length) if length else b""
    return status, body, keep_alive


async def offer_leads(
    *,
    host: str,
    port: int,
    api_key: str,
    bodies: Iterator[bytes],
    rate: float,
    seconds: float,
    on_accepted: Callable[[bytes, float], None],
) -> Offered:
    """Send `rate * seconds` leads; call `on_accepted(lead_id, time.time())` on each 202 (wall
    time: comparable with Kafka's record timestamps and with another process's clock)."""
    offered = Offered()
    idle: list[tuple[Reader, Writer]] = []
    writers: list[Writer] = []
    prefix = (
        f"POST /v1/leads HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-Key: {api_key}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()

    async def connect() -> tuple[Reader, Writer]:
        reader, writer = await asyncio.open_connection(host, port)
        writers.append(writer)
        offered.connections += 1
        return reader, writer

    async def post(body: bytes) -> None:
        request = prefix + b"Content-Length: %d\r\n\r\n" % len(body) + body
        for attempt in range(2):  # a keep-alive connection the server just closed: once more, on a new one
            try:
                reader, writer = idle.pop() if idle and not attempt else await connect()
            except OSError as error:
                offered.errors.append(type(error).__name__)
                return
            try:
                status, answer, keep_alive = await _exchange(reader, writer, request)
            except (_Closed, ConnectionError) as error:
                writer.close()
                if attempt:
                    offered.errors.append(str(error) or type(error).__name__)
                continue
            if keep_alive:
                idle.append((reader, writer))
            else:
                writer.close()
            if status != 202:
                offered.errors.append(str(status))
                return
            offered.accepted += 1
            on_accepted(json.loads(answer)["lead_id"].encode(), time.time())
            return

    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    offered.started = time.perf_counter()
    for i in range(total):
        delay = offered.started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(post(next(bodies)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        offered.sent += 1
    offered.last_sent = time.perf_counter()
    if tasks:
        await asyncio.gather(*tasks)
    for writer in writers:
        writer.close()
    return offered


@dataclass
class Generated:
    """What a generator process hands back: each accepted lead's 202 instant (wall time)."""

    accepted: dict[bytes, float]
    sent: int
    errors: list[str]
    connections: int
    started: float  # wall time of the first request and of the last one sent
    last_sent: float
    cpu_seconds: float  # the generator process's own CPU, user and system


def generate(
    host: str, port: int, api_key: str, rate: float, seconds: float, body: dict[str, object]
) -> Generated:
    """`offer_leads` in this (spawned) process, on uvloop, each lead a new person."""
    import resource
    import uuid

    import uvloop

    accepted: dict[bytes, float] = {}
    bodies = (
        json.dumps({"email": f"e2e-{uuid.uuid4().hex}@analytical.example", **body}).encode()
        for _ in iter(int, 1)
    )
    offset = time.time() - time.perf_counter()
    offered = uvloop.run(
        offer_leads(
            host=host,
            port=port,
            api_key=api_key,
            bodies=bodies,
            rate=rate,
            seconds=seconds,
            on_accepted=accepted.__setitem__,
        )
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return Generated(
        accepted,
        offered.sent,
        offered.errors,
        offered.connections,
        offered.started + offset,
        offered.last_sent + offset,
        usage.ru_utime + usage.ru_stime,
    )
