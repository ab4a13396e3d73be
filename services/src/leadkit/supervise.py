"""Keep a background loop alive: restart it with backoff when it fails, until told to stop; a loop
may be a child process (`run_child`)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog

from leadkit.metrics import BACKGROUND_RESTARTS

log = structlog.get_logger(__name__)


async def sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, waking early when `stopping` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


async def supervise(
    name: str,
    loop: Callable[[], Awaitable[None]],
    *,
    stopping: asyncio.Event,
    service: str = "",
    max_backoff: float = 30.0,
) -> None:
    backoff = 0.5
    while not stopping.is_set():
        try:
            await loop()
            backoff = 0.5
        except asyncio.CancelledError:
            raise
        except Exception:
            BACKGROUND_RESTARTS.labels(service, name).inc()
            log.exception("background loop failed; restarting", loop=name, retry_in=backoff)
            await sleep_or_stop(stopping, backoff)
            backoff = min(backoff * 2, max_backoff)


async def run_child(what: str, args: Sequence[str], env: Mapping[str, str]) -> None:
    """A background loop that is a process of its own (`python <args>`, this interpreter): it runs
    until cancelled, when the child is stopped; the child's exit is raised, so the supervisor logs
    it and starts another."""
    child = await asyncio.create_subprocess_exec(sys.executable, *args, env=dict(env))
    try:
        code = await child.wait()
        raise RuntimeError(f"{what} exited with {code}")
    finally:
        if child.returncode is None:
            child.terminate()
            await child.wait()
