"""The delivery worker as a process of its own, started by sla-monitor (workers.run_deliveries):
sending to sales tools is most of sla-monitor's CPU under load, and in the service's own event
loop every send's callbacks queued ahead of the consumer's and the SLA clocks' statements. Its
own process gets its own loop and its own share of the cores; it reads the same settings from the
environment, writes only PostgreSQL (the deliveries' outcomes), and exits when its parent is gone.
Its metrics reach the service's /metrics through a file: the process writes its registry there
every few seconds and the service's collector (ChildMetrics) reads the delivery families back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import structlog
import uvloop
from prometheus_client import REGISTRY, generate_latest
from pydantic import SecretStr

from leadkit.consumer import utc_now
from leadkit.db import create_pool
from leadkit.logging import configure_logging
from leadkit.redact import Redactor, secrets_of
from leadkit.service import Deps
from leadkit.supervise import run_child
from sla_monitor.delivery.child_metrics import CHILD_METRICS, METRICS_FILE
from sla_monitor.delivery.domain.sealing import SealingKeyProblem
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.workers import DeliveryWorker
from sla_monitor.settings import SlaMonitorSettings

log = structlog.get_logger(__name__)
PARENT_CHECK_SECONDS = 1.0
METRICS_SECONDS = 2.0


def _write_metrics(path: Path) -> None:
    fresh = path.with_suffix(".new")
    fresh.write_bytes(generate_latest(REGISTRY))
    fresh.replace(path)  # the service never reads half a file


async def _publish_metrics(path: Path, listening: asyncio.Event) -> None:
    await listening.wait()  # the file's first write tells the service the worker is up
    while True:
        _write_metrics(path)
        await asyncio.sleep(METRICS_SECONDS)


async def _run() -> None:
    settings = SlaMonitorSettings()
    configure_logging(
        service="sla-monitor",
        level=settings.leadloop.log_level,
        fmt=settings.leadloop.log_format,
        redactor=Redactor(secrets_of(settings)),
    )
    parent = os.getppid()
    listening = asyncio.Event()
    worker = asyncio.create_task(run_delivery_worker(settings, utc_now, listening))
    metrics_file = os.environ.get(METRICS_FILE)
    publishing = (
        asyncio.create_task(_publish_metrics(Path(metrics_file), listening)) if metrics_file else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        while not stop.is_set() and not worker.done() and os.getppid() == parent:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PARENT_CHECK_SECONDS)
    finally:
        for task in (worker, publishing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def run_delivery_worker(
    settings: SlaMonitorSettings, clock: Callable[[], datetime], listening: asyncio.Event
) -> None:
    """The worker, in this process, until cancelled; `listening` is set once it is ready."""
    try:
        sending = Sending.of(settings)
    except SealingKeyProblem as problem:
        # no subscription can exist without the key (the API refuses them), so nothing waits
        log.warning("deliveries are off until SLA_MONITOR_DELIVERY_SEALING_KEY is set", why=str(problem))
        listening.set()  # ready: there is nothing to deliver
        await asyncio.Event().wait()
        return
    pool = await create_pool(settings.database_url, size=settings.delivery_pool_size + 1)
    worker = DeliveryWorker(
        pool,
        sending,
        clock,
        concurrency=settings.delivery_concurrency,
        retention=timedelta(days=settings.delivery_retention_days),
        listening=listening,
    )
    try:
        await worker.run(poll_seconds=settings.delivery_poll_seconds)
    finally:
        await sending.close()
        await pool.close()


async def run_deliveries(deps: Deps) -> None:
    """sla-monitor's "deliveries" loop: the worker in a process of its own (process.py) unless
    SLA_MONITOR_DELIVERY_PROCESS is off; a process that exits is started again by the supervisor."""
    settings = deps.settings
    assert isinstance(settings, SlaMonitorSettings)
    if not settings.delivery_process:
        listening = asyncio.Event()
        deps.readiness["deliveries"] = listening.is_set
        await run_delivery_worker(settings, deps.clock, listening)
        return
    with tempfile.TemporaryDirectory(prefix="leadloop-deliveries-") as folder:
        metrics = Path(folder) / "metrics.prom"
        CHILD_METRICS.path = metrics
        # a process that stops writing (gone, or its loop stuck) makes the service unready
        deps.readiness["deliveries"] = lambda: CHILD_METRICS.fresh(within=3 * METRICS_SECONDS)
        await run_child("the delivery process", ["-m", "sla_monitor.delivery"], _child_env(settings, metrics))


def _child_env(settings: SlaMonitorSettings, metrics: Path) -> dict[str, str]:
    """The environment with this instance's own database and delivery settings, which may have
    come from elsewhere than the environment (a test's settings object)."""
    own = {"SLA_MONITOR_DATABASE_URL": settings.database_url, METRICS_FILE: str(metrics)}
    for name, value in settings.model_dump(
        include={n for n in type(settings).model_fields if n.startswith("delivery_")}
    ).items():
        shown = value.get_secret_value() if isinstance(value, SecretStr) else value
        own[f"SLA_MONITOR_{name.upper()}"] = str(shown).lower() if isinstance(shown, bool) else str(shown)
    return os.environ | own


def main() -> None:
    uvloop.run(_run())
