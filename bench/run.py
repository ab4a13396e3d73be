"""`make bench`: the system as `make up` configures it, measured from outside.

Starts its own processes on the local Kafka and PostgreSQL (`bench.` topics, `*_bench`
databases), so it measures nothing else's traffic and changes no other system. The services run
with `make up`'s settings — INFO logs, default fetch, pool and batch settings — but for capture's
per-key and per-address rate limits, raised because one key offers every lead here.

1. sustained requests per second and p50/p99 latency of POST /v1/leads (wrk, closed loop): on
   `bench/baseline.py` (one validated insert, nothing else), on capture alone (its outbox relay
   publishing to Kafka, no consumers running), and on capture with the whole pipeline consuming
   behind it on the same cores;
2. bulk intake: leads per second through POST /v1/leads/batch (500 a request) until every one is
   on `lead.captured`;
3. idle: each process's CPU per second with nothing to do, the five services together and the
   whole machine, on a line of its own; then five leads two seconds apart, each finding every
   consumer resting (the first lead after an idle spell);
4. for each offered rate of qualifying leads, open loop, from a load generator in a process of its
   own (bench/load.py): latency p50/p99 from capture's 202 to the lead's `lead.qualified` — to the
   record's Kafka timestamp and to this process's receipt of it — each consumer group's lag when
   the step ends and how long until every lag is back to zero, the CPU milliseconds per lead of
   every process (the five services, Kafka, PostgreSQL; read from /proc, idle cost subtracted) and
   of the whole machine (/proc/stat, less the generator's and this process's own CPU, idle not
   subtracted), each service's peak RSS and every request that failed;
5. a busy day: BENCH_BUSY_DAY_LEADS (250,000) leads of today put on the topics reporting reads,
   caught up by the running reporting, then the 300 leads/s step again on that day;
6. scoring: one event in-process for a lead with 200 touches (p50/p99), and re-scoring 100,000
   leads after an activation (bench/scoring_bench.py);
7. routing: one decision in-process with 200 reps, 50 rules and 10,000 accounts (p50/p99,
   bench/routing_bench.py);
8. deliveries: ten subscriptions to lead.qualified (seven healthy, one failing, one hanging, one
   Slack-paced) at 200 leads/s: p50/p99 from Kafka's record of each event to its arrival at the
   healthy endpoints, and sla-monitor's CPU per attempt (bench/delivery_bench.py); run after the
   idle line, before the rate steps (whose unaccepted leads breach their clocks later);
9. reporting at scale: a year of a million leads rebuilt, its aggregates counted, the year's
   reports (bench/reporting_scale.py).

Writes bench/results/latest.json. Settings: BENCH_SECONDS (wrk runs), BENCH_CONNECTIONS, BENCH_STEPS
(rate:seconds,…; default 100:60,200:30,300:60,500:60), BENCH_BULK_LEADS, BENCH_IDLE_SECONDS,
BENCH_BUSY_DAY_LEADS (0 skips the step), BENCH_REPORT_LEADS. BENCH_ONLY=deliveries runs the
delivery step alone and prints it, BENCH_ONLY=steps the idle line and the rate steps alone (either
leaves latest.json as it was).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import math
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import uvloop
from cost import find_infrastructure, machine_cpu_seconds, rss_mb, snapshot  # type: ignore[import-not-found]
from delivery_bench import (  # type: ignore[import-not-found]
    deliveries_under_load,
    posted_leads,
    published_events,
)
from hotspots import PG_BY_DATABASE, PG_TOP, start_py_spy, summarise  # type: ignore[import-not-found]
from load import QUALIFYING_LEAD, Generated, generate  # type: ignore[import-not-found]
from report_data import day_lead_events, produce  # type: ignore[import-not-found]
from reporting_scale import reporting_at_scale  # type: ignore[import-not-found]
from routing_bench import routing_decision_in_process  # type: ignore[import-not-found]
from scoring_bench import rescore_on_activation, scoring_in_process  # type: ignore[import-not-found]
from sla_bench import _dsn, timer_sweep_burst  # type: ignore[import-not-found]

from leadkit.testing import TopicTail, committed_offsets, eventually

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
PROFILE = ROOT / "bench" / "results" / "profile.json"
LOGS = ROOT / ".run" / "logs"
API_KEY = f"bench-{uuid4().hex[:8]}"
SEALING_KEY = base64.b64encode(b"leadloop-bench-sealing-key-32-by").decode()  # the bench's own
PREFIX = "bench."
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
# offered leads/s and for how long; the last step is the sustained-load target. 100 leads/s runs
# a minute: its CPU a lead is the target most sensitive to the machine's own background work (a
# few seconds of kernel time moved 3,000 leads' figure by up to 0.9 ms), so it gets 6,000 leads.
STEPS = [
    (float(rate), int(seconds))
    for rate, seconds in (
        step.split(":") for step in os.environ.get("BENCH_STEPS", "100:60,200:30,300:60,500:60").split(",")
    )
]
BULK_LEADS = int(os.environ.get("BENCH_BULK_LEADS", "20000"))
# the profiled step after the measured ones (BENCH_PROFILE=0 skips it)
PROFILE_ON = os.environ.get("BENCH_PROFILE", "1") != "0"
PROFILE_RATE = float(os.environ.get("BENCH_PROFILE_RATE", "100"))
PROFILE_SECONDS = int(os.environ.get("BENCH_PROFILE_SECONDS", "20"))
# the delivery step: ten subscriptions while qualifying leads come (BENCH_DELIVERIES=0 skips it)
DELIVERIES_ON = os.environ.get("BENCH_DELIVERIES", "1") != "0"
DELIVERY_RATE = float(os.environ.get("BENCH_DELIVERY_RATE", "200"))
DELIVERY_SECONDS = int(os.environ.get("BENCH_DELIVERY_SECONDS", "10"))
ONLY_STEPS = os.environ.get("BENCH_ONLY") == "steps"
ONLY_DELIVERIES = os.environ.get("BENCH_ONLY") in ("deliveries", "published-deliveries")
PUBLISHED_ONLY = os.environ.get("BENCH_ONLY") == "published-deliveries"
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "20"))
# the busy-day step: this many leads of today put on the topics reporting reads, then BUSY_STEP again
BUSY_DAY_LEADS = int(os.environ.get("BENCH_BUSY_DAY_LEADS", "250000"))
BUSY_STEP = (300.0, 60)
GROUPS = ("scoring", "routing", "sla-monitor", "reporting")
SERVICES = {"capture": 19001, "scoring": 19002, "routing": 19003, "sla-monitor": 19004, "reporting": 19005}
BASELINE_PORT = 19101


def env() -> dict[str, str]:
    own = ("LEADLOOP_", "CAPTURE_", "SCORING_", "ROUTING_", "SLA_MONITOR_", "REPORTING_")
    values = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    values |= {
        "LEADLOOP_API_KEYS": API_KEY,
        "LEADLOOP_TOPIC_PREFIX": PREFIX,
        # as `make up` configures the services (INFO logs included) but for capture's abuse limits:
        # one key and one address offer every lead here, as a large integration would, and a
        # deployment sizes those limits for its integrations
        "CAPTURE_RATE_LIMIT_PER_KEY": "1000000",
        "CAPTURE_RATE_LIMIT_PER_IP": "1000000",
        # the delivery step's endpoints listen on 127.0.0.1 over http
        "SLA_MONITOR_DELIVERY_SEALING_KEY": SEALING_KEY,
        "SLA_MONITOR_DELIVERY_ALLOW_HTTP": "true",
        "SLA_MONITOR_DELIVERY_ALLOWED_NETWORKS": "127.0.0.1/32",
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


SERVICE_ORDER = ["capture", "scoring", "routing", "sla-monitor", "reporting"]


def service_processes(processes: list[subprocess.Popen[bytes]]) -> list[subprocess.Popen[bytes]]:
    """The services' processes in SERVICE_ORDER: capture first, the baseline second, then the rest."""
    return [processes[0], *processes[2:]]


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


async def outbox_drained() -> None:
    """Wait until capture's relay has published every outbox row."""
    from sqlalchemy import text

    from leadkit.db import create_engine

    engine = create_engine(env()["CAPTURE_DATABASE_URL"], pool_size=1)
    try:

        async def drained_outbox() -> None:
            async with engine.connect() as conn:
                pending = await conn.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
            assert pending == 0, f"{pending} outbox rows not yet published"

        await eventually(drained_outbox, within=300, interval=0.1)
    finally:
        await engine.dispose()


async def skip_captured_backlog() -> None:
    """After capture ran alone, move the groups that read `lead.captured` past what it wrote.

    Those leads only measured capture; working through them would take the pipeline minutes and
    measure nothing. capture's outbox is drained first, so every one of them is on the topic.
    """

    from leadkit.admin import move_group

    await outbox_drained()
    for group, topic in (("scoring", "lead.captured"), ("reporting", "lead.captured.history")):
        await move_group(
            bootstrap_servers="127.0.0.1:9092",
            group=PREFIX + group,
            topics=[PREFIX + topic],
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


async def lag(groups: tuple[str, ...] = GROUPS) -> dict[str, int]:
    """How many events each bench consumer group has yet to commit."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9092")
    await consumer.start()
    try:
        behind = {}
        for group in groups:
            committed = await committed_offsets(PREFIX + group)
            ends = await consumer.end_offsets(list(committed))
            behind[group] = sum(ends[tp] - max(offset, 0) for tp, offset in committed.items())
        return behind
    finally:
        await consumer.stop()


# what the system's own background work keeps in flight between the groups' offset commits: none,
# until the busy day leaves its trickle of breaches and reassignments running (`busy_day`)
_settled = {"lag": 0}


async def caught_up(limit: int, groups: tuple[str, ...] = GROUPS) -> None:
    """Every group of `groups` at most `limit` events behind (AssertionError otherwise)."""
    behind = await lag(groups)
    assert all(n <= limit for n in behind.values()), f"behind: {behind}"


async def drained(groups: tuple[str, ...] = GROUPS) -> None:
    """Wait until every bench consumer group (or those of `groups`) has caught up, to what the
    background keeps in flight."""
    await eventually(lambda: caught_up(_settled["lag"], groups), within=600, interval=0.2)


async def end_to_end(
    rate: float, seconds: float, pids: dict[str, int], idle: dict[str, float]
) -> dict[str, Any]:
    """Qualifying leads offered at `rate` by a generator process of its own: latency from each 202
    to its `lead.qualified` (the record's Kafka timestamp, and this process's receipt), each
    group's lag, CPU per lead per process (idle subtracted) and of the whole machine (not: what
    the step cost, less the generator's and this process's own CPU), peak memory."""
    print(f"  end to end: {rate:g} leads/s for {seconds:g} s …", flush=True)  # noqa: T201
    infrastructure = find_infrastructure()
    peak_rss = {name: 0.0 for name in pids}

    async def sample_rss() -> None:
        while True:
            for name, pid in pids.items():
                peak_rss[name] = max(peak_rss[name], rss_mb(pid))
            await asyncio.sleep(1.0)

    sampler = asyncio.create_task(sample_rss())
    tail = await TopicTail(PREFIX + "lead.qualified").start()
    received: dict[bytes, float] = {}
    recorded: dict[bytes, float] = {}

    async def collect() -> None:
        while True:
            records = await tail.poll_new(timeout_ms=100)
            now = time.time()
            for record in records:
                received.setdefault(record.key, now)
                recorded.setdefault(record.key, record.timestamp / 1000)

    collector = asyncio.create_task(collect())
    before, began = snapshot(pids, infrastructure), time.perf_counter()
    machine_before, own_before = machine_cpu_seconds(), time.process_time()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        generated: Generated = await asyncio.get_running_loop().run_in_executor(
            pool, generate, "127.0.0.1", SERVICES["capture"], API_KEY, rate, seconds, QUALIFYING_LEAD
        )
    accepted_at, errors = generated.accepted, generated.errors
    lag_at_end = await lag()  # as the last lead is answered: a backlog here is saturation
    await drained()
    lag_zero_after = time.time() - generated.last_sent
    # at saturation capture answers the last requests after they were sent: its queue, not the
    # consumers' lag, is then most of `lag_zero_after`
    last_answered = max(accepted_at.values(), default=generated.last_sent)

    async def all_arrived() -> None:
        assert set(accepted_at) <= set(received), f"{len(set(accepted_at) - set(received))} not qualified yet"

    await eventually(all_arrived, within=120)
    after, elapsed = snapshot(pids, infrastructure), time.perf_counter() - began
    machine = machine_cpu_seconds() - machine_before - generated.cpu_seconds
    machine -= time.process_time() - own_before  # this process: the tail it reads lead.qualified with
    sampler.cancel()
    collector.cancel()
    await tail.stop()
    leads = len(accepted_at)
    cpu_ms = {
        name: round(max(0.0, after[name] - before[name] - idle.get(name, 0.0) * elapsed) * 1000 / leads, 2)
        for name in after
    }
    to_record = sorted((recorded[k] - t) * 1000 for k, t in accepted_at.items())
    to_receipt = sorted((received[k] - t) * 1000 for k, t in accepted_at.items())
    return {
        "offered_rate_per_second": rate,
        "seconds": seconds,
        "achieved_rate_per_second": round(leads / max(generated.last_sent - generated.started, 1e-9), 1),
        "leads": leads,
        "requests": generated.sent,
        "errors": len(errors),
        "error_kinds": dict(collections.Counter(errors)),
        "connections_opened": generated.connections,
        "load_generator_cpu_ms_per_lead": round(generated.cpu_seconds * 1000 / max(leads, 1), 2),
        "latency_p50_ms": _percentile(to_record, 0.5),
        "latency_p99_ms": _percentile(to_record, 0.99),
        "latency_max_ms": round(to_record[-1], 1),
        "latency_to_consumer_receipt_p50_ms": _percentile(to_receipt, 0.5),
        "latency_to_consumer_receipt_p99_ms": _percentile(to_receipt, 0.99),
        "lag_at_end": lag_at_end,
        "lag_zero_after_end_s": round(lag_zero_after, 2),
        "last_answered_after_end_s": round(last_answered - generated.last_sent, 2),
        "machine_cpu_ms_per_lead": round(machine * 1000 / max(leads, 1), 2),
        "cpu_ms_per_lead": cpu_ms | {"total": round(sum(cpu_ms.values()), 2)},
        "peak_rss_mb": {name: round(mb) for name, mb in peak_rss.items()},
    }


def _percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def postgres_json(sql: str, database: str = "postgres") -> Any:
    """Run SQL as PostgreSQL's superuser (pg_stat_statements needs it); None if that is refused."""
    command = ["psql", "-X", "-q", "-At", "-d", database, "-c", sql]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        print(f"  (PostgreSQL's statement statistics unavailable: {done.stderr.strip()})", flush=True)  # noqa: T201
        return None
    return json.loads(done.stdout) if done.stdout.strip() else None


async def profiled_step(pids: dict[str, int], idle: dict[str, float]) -> dict[str, Any]:
    """One more step at PROFILE_RATE with py-spy sampling every service and PostgreSQL counting
    its statements; its figures are not the measured ones (py-spy takes CPU from the same cores)."""
    rate, seconds = PROFILE_RATE, PROFILE_SECONDS
    print(f"  profile: {rate:g} leads/s for {seconds} s with py-spy …", flush=True)  # noqa: T201
    postgres_json("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    postgres_json("SELECT '1' FROM pg_stat_statements_reset()")
    outputs = {name: RESULTS.parent / f"py-spy-{name}.txt" for name in SERVICE_ORDER}
    py_spy = ROOT / ".venv" / "bin" / "py-spy"
    spies = [start_py_spy(pids[name], seconds, outputs[name], py_spy) for name in SERVICE_ORDER]
    step = await end_to_end(rate, seconds, pids, idle)
    for spy in spies:
        spy.wait(timeout=120)
    profile: dict[str, Any] = {"step": step, "services": {}}
    for name, output in outputs.items():
        if output.exists():
            profile["services"][name] = summarise(output.read_text())
            if os.environ.get("BENCH_KEEP_PY_SPY") != "1":  # kept: the raw stacks, to read further
                output.unlink()
        else:
            profile["services"][name] = "py-spy wrote nothing (is ptrace allowed?)"
    profile["postgresql_by_database"] = postgres_json(f"SELECT json_agg(t) FROM ({PG_BY_DATABASE}) t")
    profile["postgresql_top_statements"] = postgres_json(f"SELECT json_agg(t) FROM ({PG_TOP}) t")
    PROFILE.write_text(json.dumps(profile, indent=2) + "\n")
    return profile


BENCH_DATABASES = tuple(f"{name.replace('-', '_')}_bench" for name in SERVICES)
_AUTOVACUUMING = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"


async def autovacuum_done(limit: float = 180.0) -> float:
    """Seconds spent waiting until no autovacuum worker runs (the vacuum the steps before left is
    their cost, not the idle system's), at most `limit`."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        running = postgres_json(_AUTOVACUUMING)
        if not running:
            break
        await asyncio.sleep(1)
    return round(time.perf_counter() - started, 1)


async def vacuumed_and_checkpointed(databases: tuple[str, ...]) -> float:
    """What a burst the bench compresses into seconds leaves PostgreSQL (the vacuum and analyze of
    its rows, the checkpoint of its pages) done before the next measured step, not during it; the
    seconds then spent waiting for autovacuum workers still running."""
    for database in databases:
        postgres_json("VACUUM ANALYZE", database=database)
    postgres_json("CHECKPOINT")
    return await autovacuum_done()


async def idle_cost(pids: dict[str, int]) -> tuple[dict[str, float], dict[str, Any]]:
    """CPU seconds per second each process spends with nothing to do (polls, heartbeats, sweeps),
    after a few seconds' settling, and the line the results show: ms/s per process, the five
    services together, the whole machine (less this process)."""
    infrastructure = find_infrastructure()
    # the closed-loop runs before (wrk, the bulk intake) leave tens of thousands of leads' vacuum
    # and analyze to do, which autovacuum takes up a table at a time for minutes, beside the idle
    # line and the first steps (PostgreSQL read 43 ms/s "idle" that way); it is done here instead
    vacuumed = await vacuumed_and_checkpointed(BENCH_DATABASES)
    await asyncio.sleep(5)  # the consumers notice they are idle (leadkit.fetch_pace)
    before, machine, own = snapshot(pids, infrastructure), machine_cpu_seconds(), time.process_time()
    await asyncio.sleep(IDLE_SECONDS)
    after = snapshot(pids, infrastructure)
    whole = machine_cpu_seconds() - machine - (time.process_time() - own)
    per_second = {name: (after[name] - before[name]) / IDLE_SECONDS for name in after}
    shown = {name: round(value * 1000, 1) for name, value in per_second.items()}
    services = round(sum(shown[name] for name in pids), 1)
    line = {
        "seconds": IDLE_SECONDS,
        "ms_per_second": shown,
        "services_ms_per_second": services,
        "machine_ms_per_second": round(whole * 1000 / IDLE_SECONDS, 1),
        "target_services_ms_per_second": 50,
        "waited_for_autovacuum_s": vacuumed,
    }
    machine = line["machine_ms_per_second"]
    print(f"  idle: the five services {services} ms/s, whole machine {machine} ms/s", flush=True)  # noqa: T201
    return per_second, line


# overdue past the sweep's own second: the storm's reassignments start clocks that keep falling due
# for hours after it (about 12 a second on the generated day: nobody accepts its leads), each fired
# within a second or so, so "none due at all" is never seen
_OVERDUE = "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at < now() - interval '5 seconds'"
# what that trickle keeps in flight between the groups' once-a-second offset commits
_TRICKLE = 200


async def overdue_clocks_fired() -> float:
    """Wait until sla-monitor's sweep has fired every clock overdue, and no group holds more than
    the day's own trickle of breaches and reassignments."""

    async def storm_passed() -> None:
        await caught_up(_TRICKLE)
        overdue = postgres_json(_OVERDUE, database="sla_monitor_bench")
        assert not overdue, f"{overdue} clocks overdue"

    started = time.perf_counter()
    await eventually(storm_passed, within=900, interval=1.0)
    return round(time.perf_counter() - started, 1)


async def busy_day(pids: dict[str, int], idle: dict[str, float]) -> dict[str, Any]:
    """A day already holding BUSY_DAY_LEADS leads: put on the topics reporting reads (history
    twins and qualifications of today, before now), caught up by the running reporting, then the
    BUSY_STEP again — its figures against the same step on an emptier day."""
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    print(f"  busy day: {BUSY_DAY_LEADS} leads of today for reporting …", flush=True)  # noqa: T201
    produced = await produce("127.0.0.1:9092", PREFIX, BUSY_DAY_LEADS, lambda: day_lead_events(today, now))
    started = time.perf_counter()
    await drained(("reporting",))
    caught_up_seconds = time.perf_counter() - started
    # the day's qualifications started SLA clocks that fell due hours ago: sla-monitor breaches
    # them at once and routing reassigns them, a storm no real day has; it passes before the step
    storm_seconds = await overdue_clocks_fired()
    _settled["lag"] = _TRICKLE  # from here on, for this step and every later one
    # the bench puts hours of a day in minutes: the vacuum and checkpoint those hours would have
    # spread out are done now, not in the measured step
    await vacuumed_and_checkpointed(("reporting_bench",))
    step = await end_to_end(*BUSY_STEP, pids, idle)
    return {
        "leads_of_today": BUSY_DAY_LEADS,
        "events": produced["events"],
        "reporting_caught_up_seconds": round(caught_up_seconds, 1),
        "reporting_events_per_second": round(produced["events"] / max(caught_up_seconds, 1e-9)),
        "overdue_clocks_fired_seconds": storm_seconds,
        "step": step,
    }


async def bulk_intake() -> dict[str, Any]:
    """Leads through /v1/leads/batch, 500 a request on 4 connections, until all are on lead.captured."""
    print(f"  bulk intake: {BULK_LEADS} leads, 500 a request …", flush=True)  # noqa: T201
    run = uuid4().hex[:8]
    batches = [
        [
            {"email": f"bulk-{run}-{b}-{i}@analytical.example", "first_name": "Ada", "utm_source": "bulk"}
            for i in range(500)
        ]
        for b in range(BULK_LEADS // 500)
    ]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    accepted = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            batch = queue.get_nowait()
            response = await client.post(
                f"http://127.0.0.1:{SERVICES['capture']}/v1/leads/batch", json={"leads": batch}
            )
            response.raise_for_status()
            accepted += response.json()["accepted"]

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, headers={"X-API-Key": API_KEY}) as client:
        await asyncio.gather(*(sender(client) for _ in range(4)))
    answered = time.perf_counter() - started
    await outbox_drained()
    published = time.perf_counter() - started
    return {
        "leads": accepted,
        "leads_per_second_answered": round(accepted / answered),
        "leads_per_second_on_lead_captured": round(accepted / published),
    }


async def fresh_topics() -> None:
    """Drop the bench's topics and create them anew: each run starts empty, with the partition
    count the topic file (or LEADLOOP_TOPIC_PARTITIONS) says today."""
    import tomllib

    from aiokafka.admin import AIOKafkaAdminClient

    from leadkit.topic_specs import DEFAULT_TOPICS_FILE, create_topics, topic_specs
    from leadkit.topics import TopicNames

    admin = AIOKafkaAdminClient(bootstrap_servers="127.0.0.1:9092")
    await admin.start()
    try:
        existing = [t for t in await admin.list_topics() if t.startswith(PREFIX)]
        if existing:
            await admin.delete_topics(existing)

            async def gone() -> None:
                left = [t for t in await admin.list_topics() if t.startswith(PREFIX)]
                assert not left, f"still deleting {left}"

            await eventually(gone, within=60, interval=0.5)
    finally:
        await admin.close()
    partitions = os.environ.get("LEADLOOP_TOPIC_PARTITIONS")
    specs = topic_specs(
        tomllib.loads(DEFAULT_TOPICS_FILE.read_text()), partitions=int(partitions) if partitions else None
    )

    async def created() -> None:
        await create_topics(bootstrap_servers="127.0.0.1:9092", topics=TopicNames(PREFIX), specs=specs)

    await eventually(created, within=60, interval=1.0)
    # A group can keep offsets of a topic's earlier incarnation (seen after Kafka was restarted
    # between runs): ahead of the new topic's end, they read as negative lag and `drained` would
    # wait for ever. Back to the beginning of the new, empty topics, before any service starts.
    from leadkit.admin import move_group

    for group in GROUPS:
        stale = sorted({tp.topic for tp in await committed_offsets(PREFIX + group)})
        if stale:
            await move_group(
                bootstrap_servers="127.0.0.1:9092", group=PREFIX + group, topics=stale, to="beginning"
            )


async def delivery_step(pids: dict[str, int]) -> dict[str, Any]:
    """Leads posted to capture, the whole pipeline qualifying them on the same cores."""
    return await deliveries_under_load(  # type: ignore[no-any-return]
        prefix=PREFIX,
        sla_url=f"http://127.0.0.1:{SERVICES['sla-monitor']}",
        api_key=API_KEY,
        sla_pid=pids["sla-monitor"],
        database_url=_dsn(env()["SLA_MONITOR_DATABASE_URL"]),
        feed=posted_leads(
            capture_port=SERVICES["capture"], api_key=API_KEY, rate=DELIVERY_RATE, seconds=DELIVERY_SECONDS
        ),
        rate=DELIVERY_RATE,
        seconds=DELIVERY_SECONDS,
        fed_by="leads posted to capture, the pipeline running",
    )


async def published_delivery_step(*, troubled: bool = True) -> dict[str, Any]:
    """sla-monitor alone, its events published straight to Kafka: the delivery path's own cost
    and latency, without the pipeline's share of the cores (the issue's target is measured from
    `lead.qualified`'s publication). `troubled=False`: the seven healthy subscriptions alone, the
    control for "the failing ones do not slow them"."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        start(processes, ["sla-monitor"])
        await wait_ready(["sla-monitor"])
        # the other groups do not run here: what this step publishes stays unread by them
        await drained(("sla-monitor",))
        return await deliveries_under_load(  # type: ignore[no-any-return]
            prefix=PREFIX,
            sla_url=f"http://127.0.0.1:{SERVICES['sla-monitor']}",
            api_key=API_KEY,
            sla_pid=processes[0].pid,
            database_url=_dsn(env()["SLA_MONITOR_DATABASE_URL"]),
            feed=published_events(prefix=PREFIX, rate=DELIVERY_RATE, seconds=DELIVERY_SECONDS),
            rate=DELIVERY_RATE,
            seconds=DELIVERY_SECONDS,
            fed_by="lead.captured and lead.qualified published to Kafka, sla-monitor alone",
            troubled=troubled,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=40)


async def published_delivery_steps() -> dict[str, Any]:
    return {
        "ten_subscriptions": await published_delivery_step(),
        "the_seven_healthy_alone": await published_delivery_step(troubled=False),
    }


@contextlib.asynccontextmanager
async def all_services() -> AsyncIterator[dict[str, int]]:
    """Fresh bench topics and the five services started, ready and drained: their pids."""
    await fresh_topics()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        start(processes, list(SERVICES))
        await wait_ready(list(SERVICES))
        await drained()
        yield {name: process.pid for name, process in zip(SERVICE_ORDER, processes, strict=True)}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=40)


async def deliveries_alone() -> None:
    if PUBLISHED_ONLY:
        await fresh_topics()
        print(json.dumps(await published_delivery_steps(), indent=2))  # noqa: T201
        return
    async with all_services() as pids:
        found = await delivery_step(pids)
        print(json.dumps(found, indent=2))  # noqa: T201


async def steps_alone() -> None:
    """The idle line and the rate steps alone, printed (latest.json is left as it was); with
    BENCH_STEPS_PROFILE=1 the profiled step too."""
    async with all_services() as pids:
        idle, found = await idle_cost(pids)
        steps = []
        postgres_json("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for rate, seconds in STEPS:
            await drained()
            postgres_json("SELECT '1' FROM pg_stat_statements_reset()")
            step = await end_to_end(rate, seconds, pids, idle)
            step["postgresql_by_database"] = postgres_json(f"SELECT json_agg(r) FROM ({PG_BY_DATABASE}) r")
            step["postgresql_top_statements"] = postgres_json(f"SELECT json_agg(r) FROM ({PG_TOP}) r")
            steps.append(step)
        if os.environ.get("BENCH_STEPS_PROFILE") == "1":
            await drained()
            await profiled_step(pids, idle)  # → bench/results/profile.json
        print(json.dumps({"idle": found, "steps": steps}, indent=2))  # noqa: T201


async def busy_day_alone() -> None:
    """The busy-day step alone, printed beside the same step on the day as it was before."""
    async with all_services() as pids:
        idle, found = await idle_cost(pids)
        before = await end_to_end(*BUSY_STEP, pids, idle)
        busy = await busy_day(pids, idle)
        print(json.dumps({"idle": found, "before": before, "busy_day": busy}, indent=2))  # noqa: T201


async def main() -> None:
    if os.environ.get("BENCH_ONLY") == "busy-day":
        await busy_day_alone()
        return
    if ONLY_DELIVERIES:
        await deliveries_alone()
        return
    if ONLY_STEPS:
        await steps_alone()
        return
    processes: list[subprocess.Popen[bytes]] = []
    await fresh_topics()
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
                "steps": [{"rate": rate, "seconds": seconds} for rate, seconds in STEPS],
                "connections": CONNECTIONS,
                "load_generator": "wrk -t1 for the closed-loop runs; the end-to-end steps: bench/load.py in "
                "a process of its own, open loop (same machine)",
                "services": "as `make up` configures them (INFO logs, default fetch and pool settings), "
                "capture's per-key and per-address rate limits raised",
                "busy_day_leads": BUSY_DAY_LEADS,
            },
            "bare_fastapi_insert": wrk(BASELINE_PORT, "baseline"),
            "capture_post_leads_alone": wrk(SERVICES["capture"], "capture alone"),
        }
        await outbox_drained()
        results["bulk_intake"] = await bulk_intake()
        await skip_captured_backlog()
        start(processes, [s for s in SERVICES if s != "capture"])
        await wait_ready(list(SERVICES))
        results["capture_post_leads_with_pipeline"] = wrk(SERVICES["capture"], "capture, pipeline running")
        await drained()
        pids = {
            name: process.pid
            for name, process in zip(SERVICE_ORDER, service_processes(processes), strict=True)
        }
        idle, results["idle"] = await idle_cost(pids)
        # five leads two seconds apart, each finding every consumer resting: as fast as in a stream?
        results["after_idle"] = await end_to_end(0.5, 10, pids, idle)
        if DELIVERIES_ON:
            # before the rate steps: their tens of thousands of qualified leads, never accepted,
            # breach their clocks later, and that storm's deliveries are not this step's subject
            await drained()
            results["deliveries_under_load"] = await delivery_step(pids)
            # ten seconds of 2,000 attempts a second are hours of a day's deliveries: their vacuum
            # and checkpoint are done now, not by autovacuum beside the first rate step
            await vacuumed_and_checkpointed(("sla_monitor_bench",))
        steps = []
        for rate, seconds in STEPS:
            await drained()
            steps.append(await end_to_end(rate, seconds, pids, idle))
            results["end_to_end_202_to_qualified"] = steps
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")  # kept if a later step fails
        if BUSY_DAY_LEADS:
            await drained()
            results["busy_day"] = await busy_day(pids, idle)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        if PROFILE_ON:
            await drained()
            await profiled_step(pids, idle)
        await drained()
        results["scoring_one_event_in_process"] = scoring_in_process()
        results["routing_decision_in_process"] = routing_decision_in_process()
        results["scoring_rescore_on_activation"] = await rescore_on_activation(
            env()["SCORING_DATABASE_URL"], f"http://127.0.0.1:{SERVICES['scoring']}", {"X-API-Key": API_KEY}
        )
        # the re-scores wrote every lead twice: flush it now, not in the next run's measured steps
        postgres_json("CHECKPOINT")
        results["sla_timer_sweep_burst"] = await timer_sweep_burst(env()["SLA_MONITOR_DATABASE_URL"])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=40)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    if DELIVERIES_ON:
        results["deliveries_published"] = await published_delivery_steps()
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    # last, every service stopped: a year of a million leads for reporting alone
    at_scale: list[subprocess.Popen[bytes]] = []

    def start_reporting() -> subprocess.Popen[bytes]:
        start(at_scale, ["reporting"])
        return at_scale[-1]

    results["reporting_at_scale"] = await reporting_at_scale(
        env(),
        start_reporting,
        lambda: wait_ready(["reporting"]),
        f"http://127.0.0.1:{SERVICES['reporting']}",
        API_KEY,
        leads=int(os.environ.get("BENCH_REPORT_LEADS", "1000000")),
    )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))  # noqa: T201


if __name__ == "__main__":
    uvloop.run(main())
