"""`make bench`: capture's throughput next to a bare FastAPI insert, and end-to-end latency.

Starts its own processes on the local Kafka and PostgreSQL (`bench.` topics, `*_bench`
databases), so it measures nothing else's traffic and changes no other system:

1. sustained requests per second and p50/p99 latency of POST /v1/leads (wrk, closed loop): on
   `bench/baseline.py` (one validated insert, nothing else), on capture alone (its outbox relay
   publishing to Kafka, no consumers running), and on capture with the whole pipeline consuming
   behind it on the same cores;
2. end-to-end latency, p50/p99, from capture's 202 to the lead's `lead.qualified`, at a fixed
   offered rate of qualifying leads.

Writes bench/results/latest.json. Settings: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_RATES (e.g. 5,20).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from leadkit.testing import TopicTail, committed_offsets, eventually

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
LOGS = ROOT / ".run" / "logs"
API_KEY = f"bench-{uuid4().hex[:8]}"
PREFIX = "bench."
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
# light load, what the whole pipeline sustains on a 2-core machine, and past its knee
RATES = [float(r) for r in os.environ.get("BENCH_RATES", "5,20,40").split(",")]
SERVICES = {"capture": 19001, "scoring": 19002, "routing": 19003, "sla-monitor": 19004, "reporting": 19005}
BASELINE_PORT = 19101


def env() -> dict[str, str]:
    own = ("LEADLOOP_", "CAPTURE_", "SCORING_", "ROUTING_", "SLA_MONITOR_", "REPORTING_")
    values = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    values |= {
        "LEADLOOP_API_KEYS": API_KEY,
        "LEADLOOP_TOPIC_PREFIX": PREFIX,
        "LEADLOOP_LOG_LEVEL": "WARNING",
        "CAPTURE_RATE_LIMIT_PER_KEY": "1000000",
        "CAPTURE_RATE_LIMIT_PER_IP": "1000000",
        "SLA_MONITOR_ACCEPT_MINUTES": "600",
    }
    for service, port in SERVICES.items():
        name = service.replace("-", "_")
        values[f"{name.upper()}_DATABASE_URL"] = (
            f"postgresql+asyncpg://{name}:{name}@127.0.0.1:5432/{name}_bench?ssl=disable"
        )
        values[f"{name.upper()}_PORT"] = str(port)
    return values


def start(processes: list[subprocess.Popen[bytes]], services: list[str]) -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    for service in services:
        subprocess.run(
            [str(ROOT / ".venv/bin/alembic"), "-c", "alembic.ini", "upgrade", "head"],
            cwd=ROOT / service,
            env=env(),
            check=True,
            capture_output=True,
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", service.replace("-", "_")],
                env=env(),
                stdout=(LOGS / f"bench-{service}.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
        )


def start_baseline(processes: list[subprocess.Popen[bytes]]) -> None:
    processes.append(
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "baseline.py"),
                str(BASELINE_PORT),
                "postgresql+asyncpg://capture:capture@127.0.0.1:5432/capture_bench?ssl=disable",
            ],
            stdout=(LOGS / "bench-baseline.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
    )


async def wait_ready(services: list[str], *, baseline: bool = False) -> None:
    async with httpx.AsyncClient(timeout=3) as client:

        async def ready() -> None:
            for service in services:
                try:
                    response = await client.get(f"http://127.0.0.1:{SERVICES[service]}/readyz")
                except httpx.TransportError as exc:
                    raise AssertionError(str(exc)) from exc
                assert response.status_code == 200, f"{service}: {response.text}"
            if baseline:
                try:
                    await client.get(f"http://127.0.0.1:{BASELINE_PORT}/docs")
                except httpx.TransportError as exc:
                    raise AssertionError(str(exc)) from exc

        await eventually(ready, within=120, interval=0.5)


async def skip_captured_backlog() -> None:
    """After capture ran alone, move the groups that read `lead.captured` past what it wrote.

    Those leads only measured capture; working through them would take the pipeline minutes and
    measure nothing. capture's outbox is drained first, so every one of them is on the topic.
    """
    from sqlalchemy import text

    from leadkit.admin import move_group
    from leadkit.db import create_engine

    engine = create_engine(env()["CAPTURE_DATABASE_URL"], pool_size=1)
    try:

        async def outbox_drained() -> None:
            async with engine.connect() as conn:
                pending = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            assert pending == 0, f"{pending} outbox rows not yet published"

        await eventually(outbox_drained, within=300, interval=0.5)
    finally:
        await engine.dispose()
    for group in ("scoring", "reporting"):
        await move_group(
            bootstrap_servers="127.0.0.1:9092",
            group=PREFIX + group,
            topics=[PREFIX + "lead.captured"],
            to="end",
        )


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, label: str) -> dict[str, Any]:
    print(f"  wrk: {label}, {CONNECTIONS} connections, {SECONDS} s …", flush=True)  # noqa: T201
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--latency",
            "-s",
            str(ROOT / "bench" / "post_leads.lua"),
            f"http://127.0.0.1:{port}",
            "--",
            re.sub(r"[^a-z0-9]+", "-", label) + uuid4().hex[:6],  # part of each lead's email
            API_KEY,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, flags=re.MULTILINE))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    requests = re.search(r"(\d+) requests in", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "latency_p50_ms": _ms(latency["50"]),
        "latency_p99_ms": _ms(latency["99"]),
        "requests": int(requests.group(1)) if requests else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


async def drained() -> None:
    """Wait until every bench consumer group has caught up, so no backlog from the throughput
    runs inflates the latency measured next."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9092")
    await consumer.start()
    try:

        async def caught_up() -> None:
            for group in ("scoring", "routing", "sla-monitor", "reporting"):
                committed = await committed_offsets(PREFIX + group)
                ends = await consumer.end_offsets(list(committed))
                behind = sum(ends[tp] - offset for tp, offset in committed.items() if offset >= 0)
                assert behind == 0, f"{group} is {behind} events behind"

        await eventually(caught_up, within=300, interval=1.0)
    finally:
        await consumer.stop()


async def end_to_end(rate: float) -> dict[str, Any]:
    print(f"  end to end: {rate:g} leads/s for {SECONDS} s …", flush=True)  # noqa: T201
    tail = await TopicTail(PREFIX + "lead.qualified").start()
    accepted_at: dict[bytes, float] = {}
    seen: dict[bytes, float] = {}
    body = {
        "job_title": "VP Engineering",
        "company_size": "201-500",
        "industry": "Software",
        "country": "US",
        "form_id": "demo-request",
        "utm_source": "bench",
    }

    async def collect() -> None:
        while True:
            records = await tail.poll_new(timeout_ms=100)
            now = time.perf_counter()
            for record in records:
                seen.setdefault(record.key, now)

    collector = asyncio.create_task(collect())
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": API_KEY}) as client:

        async def post_one() -> None:
            response = await client.post(
                f"http://127.0.0.1:{SERVICES['capture']}/v1/leads",
                json={"email": f"e2e-{uuid4().hex}@analytical.example", **body},
            )
            response.raise_for_status()
            accepted_at[response.json()["lead_id"].encode()] = time.perf_counter()

        started = time.perf_counter()
        posts = []
        for i in range(int(rate * SECONDS)):  # open loop: a fixed offered rate, whatever the answers
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            posts.append(asyncio.create_task(post_one()))
        await asyncio.gather(*posts)

    async def all_arrived() -> None:
        assert set(accepted_at) <= set(seen), f"{len(set(accepted_at) - set(seen))} not qualified yet"

    await eventually(all_arrived, within=120)
    collector.cancel()
    await tail.stop()
    latencies = sorted((seen[k] - t) * 1000 for k, t in accepted_at.items())
    return {
        "offered_rate_per_second": rate,
        "leads": len(latencies),
        "latency_p50_ms": round(statistics.median(latencies), 1),
        "latency_p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 1),
        "latency_max_ms": round(latencies[-1], 1),
    }


async def main() -> None:
    processes: list[subprocess.Popen[bytes]] = []
    try:
        start(processes, ["capture"])
        start_baseline(processes)
        await wait_ready(["capture"], baseline=True)
        results = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "settings": {
                "seconds": SECONDS,
                "connections": CONNECTIONS,
                "load_generator": "wrk -t1 (same machine)",
            },
            "bare_fastapi_insert": wrk(BASELINE_PORT, "baseline"),
            "capture_post_leads_alone": wrk(SERVICES["capture"], "capture alone"),
        }
        await skip_captured_backlog()
        start(processes, [s for s in SERVICES if s != "capture"])
        await wait_ready(list(SERVICES))
        results["capture_post_leads_with_pipeline"] = wrk(SERVICES["capture"], "capture, pipeline running")
        latencies = []
        for rate in RATES:
            await drained()
            latencies.append(await end_to_end(rate))
        results |= {
            "end_to_end_202_to_qualified": latencies,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=40)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
