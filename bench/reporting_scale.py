"""reporting at scale: a year of 1,000,000 leads (about 3,000,000 touches) as real events on the
bench topics, reporting rebuilt from them (events a second), its aggregates counted from the projection,
then the year's reports over HTTP: p50 and p99 of attribution (the rule models together, Markov,
Shapley) and of the funnel by several keys (from the month, day and hour aggregates), and of one funnel
narrowed by a filter (counted from the lead rows)."""

from __future__ import annotations

import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from report_data import produce  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[1]
YEAR = {"from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
RULES = "first_touch,last_touch,linear,u_shaped,w_shaped,time_decay"


async def _refresh_all(env: dict[str, str]) -> float:
    """Every aggregate counted again from the projection (`python -m reporting.refresh`)."""
    started = time.perf_counter()
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "reporting.refresh"], env=env, capture_output=True, check=True
    )
    return time.perf_counter() - started


async def _latencies(
    client: httpx.AsyncClient, url: str, params: dict[str, str], samples: int
) -> dict[str, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = await client.get(url, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    times.sort()
    return {
        "samples": samples,
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, round(0.99 * len(times)))], 1),
    }


async def reporting_at_scale(
    env: dict[str, str],
    start_reporting: Callable[[], subprocess.Popen[bytes]],
    wait_ready: Callable[[], Any],
    base_url: str,
    api_key: str,
    leads: int = 1_000_000,
) -> dict[str, Any]:
    """Every service stopped; reporting is started here once its projections are rebuilt."""
    generated = await produce("127.0.0.1:9092", env["LEADLOOP_TOPIC_PREFIX"], leads)
    rebuilt = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reporting.rebuild"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"rebuilt from (\d+) events in ([\d.]+) s \(([\d,]+) events/s", rebuilt.stdout)
    assert match, rebuilt.stdout + rebuilt.stderr
    refreshed = await _refresh_all(env)
    reporting = start_reporting()
    try:
        await wait_ready()
        async with httpx.AsyncClient(
            base_url=base_url, headers={"X-API-Key": api_key}, timeout=120
        ) as client:
            attribution = "/v1/reports/attribution"
            year = {**YEAR, "group_by": "source"}
            reports = {
                "attribution_rule_models": await _latencies(
                    client, attribution, {**year, "models": RULES}, 50
                ),
                "attribution_markov": await _latencies(client, attribution, {**year, "models": "markov"}, 20),
                "attribution_shapley": await _latencies(
                    client, attribution, {**year, "models": "shapley"}, 20
                ),
                **{
                    f"funnel_by_{group_by}": await _latencies(
                        client, "/v1/reports/funnel", {**YEAR, "group_by": group_by}, 50
                    )
                    for group_by in ("source", "campaign", "rep", "week", "month")
                },
                # a filter is counted from the lead rows (no target: the aggregates answer unfiltered)
                "funnel_filtered_by_source": await _latencies(
                    client, "/v1/reports/funnel", {**year, "source": "google"}, 10
                ),
            }
    finally:
        reporting.terminate()
        reporting.wait(timeout=40)
    return {
        "generated": generated,
        "rebuild": {
            "events": int(match[1]),
            "seconds": float(match[2]),
            "events_per_second": int(match[3].replace(",", "")),
            "target_events_per_second": 20_000,
        },
        "aggregates_recount_seconds": round(refreshed, 1),
        "year_reports": reports,
        "targets_ms": {"rule_models_p99": 100, "markov_shapley_p99": 1000, "funnel_p99": 100},
    }
