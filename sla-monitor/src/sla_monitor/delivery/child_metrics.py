"""The delivery process's metrics in the service's /metrics: the process (process.py) writes its
registry to a file every few seconds; this collector, registered in the service's registry, reads
the delivery families back from it (leadloop_deliveries_*, leadloop_delivery_*). A file rather
than prometheus_client's multiprocess mode, which would turn every metric of the service into a
file-backed one for the sake of four."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

METRICS_FILE = "SLA_MONITOR_DELIVERY_METRICS_FILE"  # set by the service for its child only
OWN_FAMILIES = "leadloop_deliver"


class ChildMetrics(Collector):
    def __init__(self) -> None:
        self.path: Path | None = None

    def fresh(self, within: float) -> bool:
        """Whether the process wrote its file within `within` seconds: it is up (it first writes
        once its worker listens) and its loop is not stuck."""
        if self.path is None:
            return False
        try:
            return time.time() - self.path.stat().st_mtime <= within
        except OSError:  # not written yet
            return False

    def collect(self) -> Iterator[Metric]:
        if self.path is None:
            return
        try:
            text = self.path.read_text()
        except OSError:  # not written yet
            return
        for family in text_string_to_metric_families(text):
            if family.name.startswith(OWN_FAMILIES):
                yield family


CHILD_METRICS = ChildMetrics()
REGISTRY.register(CHILD_METRICS)
