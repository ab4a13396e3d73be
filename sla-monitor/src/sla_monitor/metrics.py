"""sla-monitor's own Prometheus metrics, beside the kit's (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

TIMERS_FIRED = Counter(
    "leadloop_sla_timers_fired_total",
    "Timers the sweep fired, by outcome (warned, breached, cancelled: a warning whose clock had closed)",
    ["outcome"],
)
FIRE_LATENESS = Histogram(
    "leadloop_sla_fire_lateness_seconds",
    "How long after its due time a timer fired (the breach tolerance, SLA_MONITOR_TIMER_POLL_SECONDS "
    "plus the sweep's own time)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
