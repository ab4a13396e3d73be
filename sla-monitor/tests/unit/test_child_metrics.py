"""The delivery process's liveness as the service sees it: its metrics file, written within the
last few seconds. The file is first written once the worker listens, so no file is not ready."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sla_monitor.delivery.child_metrics import ChildMetrics


def test_no_file_yet_is_not_ready(tmp_path: Path) -> None:
    metrics = ChildMetrics()
    assert not metrics.fresh(within=6)  # no process started
    metrics.path = tmp_path / "metrics.prom"
    assert not metrics.fresh(within=6)  # started, not yet listening


def test_a_file_just_written_is_ready_and_a_stale_one_is_not(tmp_path: Path) -> None:
    metrics = ChildMetrics()
    metrics.path = tmp_path / "metrics.prom"
    metrics.path.write_text('leadloop_deliveries_total{outcome="delivered"} 1.0\n')
    assert metrics.fresh(within=6)
    ten_seconds_ago = time.time() - 10
    os.utime(metrics.path, (ten_seconds_ago, ten_seconds_ago))  # the process stopped writing
    assert not metrics.fresh(within=6)


def test_only_the_delivery_families_are_read_back(tmp_path: Path) -> None:
    metrics = ChildMetrics()
    metrics.path = tmp_path / "metrics.prom"
    metrics.path.write_text(
        "# TYPE leadloop_deliveries_total counter\n"
        'leadloop_deliveries_total{outcome="delivered"} 3.0\n'
        "# TYPE process_cpu_seconds_total counter\n"
        "process_cpu_seconds_total 12.0\n"
    )
    assert [family.name for family in metrics.collect()] == ["leadloop_deliveries"]
