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
from pathlib import Path

import uvloop
from prometheus_client import REGISTRY, generate_latest

from leadkit.consumer import utc_now
from leadkit.logging import configure_logging
from leadkit.redact import Redactor, secrets_of
from sla_monitor.delivery.child_metrics import METRICS_FILE
from sla_monitor.delivery.workers import run_delivery_worker
from sla_monitor.settings import SlaMonitorSettings

PARENT_CHECK_SECONDS = 1.0
METRICS_SECONDS = 2.0


def _write_metrics(path: Path) -> None:
    fresh = path.with_suffix(".new")
    fresh.write_bytes(generate_latest(REGISTRY))
    fresh.replace(path)  # the service never reads half a file


async def _publish_metrics(path: Path) -> None:
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
    worker = asyncio.create_task(run_delivery_worker(settings, utc_now))
    metrics_file = os.environ.get(METRICS_FILE)
    publishing = asyncio.create_task(_publish_metrics(Path(metrics_file))) if metrics_file else None
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


def main() -> None:
    uvloop.run(_run())
