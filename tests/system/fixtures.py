"""The whole system for system tests: the five services as real processes on real Kafka and
PostgreSQL, each on its own `*_test` database (migrated with Alembic here) and `test.` topics."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadkit.api_keys import PREFIX_RANDOM_CHARACTERS
from leadkit.testing import TopicTail, database_url_for_tests, eventually

ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = ROOT / ".run" / "logs"
API_KEY = "system-test-key-7c5d1e38"
TOPIC_PREFIX = "test."
SERVICES = {  # directory: (module, port, env prefix)
    "capture": ("capture", 18001, "CAPTURE"),
    "scoring": ("scoring", 18002, "SCORING"),
    "routing": ("routing", 18003, "ROUTING"),
    "sla-monitor": ("sla_monitor", 18004, "SLA_MONITOR"),
    "reporting": ("reporting", 18005, "REPORTING"),
}
ACCEPT_SECONDS = 4
STANDIN_PORT = 18090
STANDIN_URL = f"http://127.0.0.1:{STANDIN_PORT}"
# Each secret is distinctive, so a test can search every log line and stored row for it.
META_APP_SECRET = "meta-app-secret-3f9c2a71"
META_VERIFY_TOKEN = "meta-verify-token-8b41d0e6"
META_ACCESS_TOKEN = "meta-page-token-5e27c9b3"
GOOGLE_KEY = "google-key-c81f4a09"
LINKEDIN_CLIENT_SECRET = "linkedin-client-secret-2d6e8f14"
LINKEDIN_ACCESS_TOKEN = "linkedin-token-9a03b7c5"
DELIVERY_SEALING_KEY = "bGVhZGxvb3AtdGVzdC1zZWFsaW5nLWtleS0zMmJ5dGU="  # 32 bytes, base64
SECRETS = {
    "LEADLOOP_API_KEYS": API_KEY,
    "CAPTURE_META_APP_SECRET": META_APP_SECRET,
    "CAPTURE_META_VERIFY_TOKEN": META_VERIFY_TOKEN,
    "CAPTURE_META_ACCESS_TOKEN": META_ACCESS_TOKEN,
    "CAPTURE_GOOGLE_KEY": GOOGLE_KEY,
    "CAPTURE_LINKEDIN_CLIENT_SECRET": LINKEDIN_CLIENT_SECRET,
    "CAPTURE_LINKEDIN_ACCESS_TOKEN": LINKEDIN_ACCESS_TOKEN,
    "SLA_MONITOR_DELIVERY_SEALING_KEY": DELIVERY_SEALING_KEY,
}


database_url = database_url_for_tests  # the test database of one service (`module` as in SERVICES)

QUALIFYING = {  # a senior buyer asking for a demo: scores well above the MQL bar
    "first_name": "Grace",
    "job_title": "VP Engineering",
    "company_size": "201-500",
    "industry": "Software",
    "country": "US",
    "form_id": "demo-request",
    "utm_medium": "cpc",
    "utm_campaign": "brand",
}


def key_prefix(key: str) -> str:
    """`ll_<source>_` and the random part's first characters: what `leadloop keys list` shows."""
    head = key.index("_", 3) + 1
    return key[: head + PREFIX_RANDOM_CHARACTERS]


def hmac_hex(secret: str, message: bytes) -> str:
    """Hex HMAC-SHA256, computed here from the platforms' documented schemes, not by capture."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def metric_total(client: httpx.AsyncClient, base: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples at `base`/metrics whose labels include `labels`."""
    total = 0.0
    for line in (await client.get(f"{base}/metrics")).text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} ([\d.e+-]+)", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


def _env() -> dict[str, str]:
    # the developer's own .env settings must not leak into the test system
    own = ("LEADLOOP_", *(prefix + "_" for *_, prefix in SERVICES.values()))
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    env.update(
        LEADLOOP_TOPIC_PREFIX=TOPIC_PREFIX,
        # accept within ACCEPT_SECONDS, reassign once, then recycle
        SLA_MONITOR_POLICY_FILE=str(Path(__file__).parent / "sla_policy.toml"),
        SLA_MONITOR_TIMER_POLL_SECONDS="0.2",
        ROUTING_QUEUE_POLL_SECONDS="1",
        # the running reporting recounts a changed day's aggregates a second after the change
        REPORTING_AGGREGATE_SETTLE_SECONDS="1",
        REPORTING_AGGREGATE_POLL_SECONDS="0.2",
        CAPTURE_PUBLIC_URL="http://127.0.0.1:18001",
        CAPTURE_META_GRAPH_URL=f"{STANDIN_URL}/graph/v21.0",
        CAPTURE_LINKEDIN_API_URL=f"{STANDIN_URL}/rest",
        CAPTURE_FETCH_BACKOFF_SECONDS="0.2",
        CAPTURE_FETCH_MAX_ATTEMPTS="4",
        CAPTURE_FETCH_POLL_SECONDS="0.2",
        # every test client is 127.0.0.1: per-IP limits are the unit tests' business here
        CAPTURE_RATE_LIMIT_PER_IP="10000",
        CAPTURE_FORM_RATE_LIMIT_PER_IP="100000",
        CAPTURE_RATE_LIMIT_PER_KEY="20",
        CAPTURE_API_KEY_CACHE_SECONDS="0",
        # the test receivers listen on 127.0.0.1 over http: allowed here, refused by default
        SLA_MONITOR_DELIVERY_ALLOW_HTTP="true",
        SLA_MONITOR_DELIVERY_ALLOWED_NETWORKS="127.0.0.1/32",
        SLA_MONITOR_DELIVERY_POLL_SECONDS="0.1",
        # the console, served by the test system's reporting, calls the test system's services
        LEADLOOP_CONSOLE_ORIGINS="http://127.0.0.1:18005",
        REPORTING_CONSOLE_API_URLS=",".join(
            f"{service}=http://127.0.0.1:{port}" for service, (_, port, _) in SERVICES.items()
        ),
    )
    env.update(SECRETS)
    for _directory, (module, port, prefix) in SERVICES.items():
        env[f"{prefix}_DATABASE_URL"] = database_url(module)
        env[f"{prefix}_PORT"] = str(port)
    return env


class Processes:
    """The system's processes, by name, so a test can stop one and start it again, or start a
    second instance of a service beside the first."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        self._logged: set[str] = set()

    def start(self, name: str, *, service: str | None = None, env: dict[str, str] | None = None) -> None:
        """Start `name`: a service, the stand-in, or (with `service`) another instance of one."""
        if name == "standin":
            command = [sys.executable, "-m", "tests.system.platform_standin", str(STANDIN_PORT)]
        else:
            command = [sys.executable, "-m", SERVICES[service or name][0]]
        # each session's logs start empty, so what a test finds in them is this run's
        log = (LOG_DIR / f"test-{name}.log").open("ab" if name in self._logged else "wb")
        self._logged.add(name)
        self._running[name] = subprocess.Popen(
            command, cwd=ROOT, env=self._env | (env or {}), stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self, name: str) -> None:
        """SIGKILL: the process dies mid-work, its open transactions roll back."""
        process = self._running.pop(name)
        process.kill()
        process.wait(timeout=40)

    def stop(self, *names: str) -> None:
        """SIGTERM, the way a process manager stops a service: it shuts down gracefully."""
        stopping = [self._running.pop(name) for name in names or list(self._running) if name in self._running]
        for process in stopping:
            process.terminate()
        for process in stopping:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class System:
    api_key: str
    processes: Processes

    @staticmethod
    def url(service: str, path: str) -> str:
        return f"http://127.0.0.1:{SERVICES[service][1]}{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @staticmethod
    async def tail(topic: str) -> TopicTail:
        return await TopicTail(TOPIC_PREFIX + topic).start()

    @staticmethod
    def leadloop_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the `leadloop` command against the test system's databases (`env` overrides some)."""
        return subprocess.run(
            [str(ROOT / ".venv/bin/leadloop"), *args],
            env=_env() | (env or {}),
            capture_output=True,
            text=True,
            check=False,
        )

    @staticmethod
    def leadloop_process(*args: str) -> subprocess.Popen[str]:
        """Start a long-running `leadloop` command (a listener) against the test system."""
        return subprocess.Popen(
            [str(ROOT / ".venv/bin/leadloop"), *args],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @staticmethod
    def run_module(module: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `python -m module` against the test system (its databases and topics)."""
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )

    async def start_instance(
        self, name: str, *, service: str, port: int, env: dict[str, str] | None = None
    ) -> str:
        """Start another instance of `service` on `port`; returns its base URL once it is ready."""
        prefix = SERVICES[service][2]
        self.processes.start(name, service=service, env={f"{prefix}_PORT": str(port), **(env or {})})
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=5) as client:
            await eventually(lambda: _ready_at(client, base, name), within=90, interval=0.5)
        return base

    async def restart(self, service: str, *, while_down: Callable[[], Awaitable[None]] | None = None) -> None:
        """Stop `service`, run `while_down`, start it again and wait until it is ready."""
        self.processes.stop(service)
        if while_down is not None:
            await while_down()
        self.processes.start(service)
        async with httpx.AsyncClient(timeout=5) as client:
            await eventually(lambda: _ready(client, service), within=90, interval=0.5)


async def _ready(client: httpx.AsyncClient, service: str) -> None:
    await _ready_at(client, System.url(service, ""), service)


async def _ready_at(client: httpx.AsyncClient, base: str, name: str) -> None:
    try:
        response = await client.get(f"{base}/readyz")
    except httpx.TransportError as exc:
        raise AssertionError(f"{name} not answering: {exc}") from exc
    assert response.status_code == 200, f"{name}: {response.text}"


@pytest.fixture(scope="session")
def _processes() -> Iterator[Processes]:
    env = _env()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for directory in SERVICES:
        # the databases are built by the migrations themselves, and the models must not have
        # drifted from them (`alembic check` fails when autogenerate would find something)
        for command in (["upgrade", "head"], ["check"]):
            subprocess.run(
                [str(ROOT / ".venv/bin/alembic"), "-c", "alembic.ini", *command],
                cwd=ROOT / directory,
                env=env,
                check=True,
                capture_output=True,
            )
    processes = Processes(env)
    for name in ("standin", *SERVICES):
        processes.start(name)
    try:
        yield processes
    finally:
        processes.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for talking to the system under test."""
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


@pytest.fixture(scope="session")
async def system(_processes: Processes) -> System:
    async with httpx.AsyncClient(timeout=5) as client:

        async def all_ready() -> None:
            try:
                await client.get(f"{STANDIN_URL}/docs")
            except httpx.TransportError as exc:
                raise AssertionError(f"platform stand-in not answering: {exc}") from exc
            for service in SERVICES:
                await _ready(client, service)

        await eventually(all_ready, within=90, interval=0.5)
        system = System(api_key=API_KEY, processes=_processes)
        await _activate_test_sla_policy(client, system)
    return system


async def _activate_test_sla_policy(client: httpx.AsyncClient, system: System) -> None:
    """The test system's SLA policy active, whatever the database was left with (integration
    tests share it and may have seeded the shipped default)."""
    url = system.url("sla-monitor", "/v1/sla/policies")
    text = (Path(__file__).parent / "sla_policy.toml").read_text()
    active = await client.get(f"{url}/active", headers=system.headers)
    assert active.status_code == 200, active.text
    if active.json()["source"] == text:
        return
    saved = await client.post(
        url, content=text, headers=system.headers | {"Content-Type": "application/toml"}
    )
    assert saved.status_code == 201, saved.text
    activated = await client.post(f"{url}/{saved.json()['version']}/activate", headers=system.headers)
    assert activated.status_code == 200, activated.text


@asynccontextmanager
async def active_routing_policy(client: httpx.AsyncClient, system: System, text: str) -> AsyncIterator[int]:
    """Push and activate a routing policy for the block; the one active before comes back after."""
    async with active_policy(client, system, system.url("routing", "/v1/routing/policies"), text) as version:
        yield version


@asynccontextmanager
async def active_sla_policy(client: httpx.AsyncClient, system: System, text: str) -> AsyncIterator[int]:
    """Push and activate an SLA policy for the block; the one active before comes back after."""
    async with active_policy(client, system, system.url("sla-monitor", "/v1/sla/policies"), text) as version:
        yield version


@asynccontextmanager
async def active_policy(client: httpx.AsyncClient, system: System, url: str, text: str) -> AsyncIterator[int]:
    before = (await client.get(f"{url}/active", headers=system.headers)).json()["version"]
    saved = await client.post(
        url, content=text, headers=system.headers | {"Content-Type": "application/toml"}
    )
    assert saved.status_code == 201, saved.text
    version = saved.json()["version"]
    activated = await client.post(f"{url}/{version}/activate", headers=system.headers)
    assert activated.status_code == 200, activated.text
    try:
        yield version
    finally:
        restored = await client.post(f"{url}/{before}/activate", headers=system.headers)
        assert restored.status_code == 200, restored.text
