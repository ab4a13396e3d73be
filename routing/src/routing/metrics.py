"""routing's own Prometheus metrics, beside the kit's (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DECISIONS = Counter(
    "leadloop_routing_decisions_total",
    "Routing decisions by kind (assign, reassign, queue_turn, manual) and method (a round robin, "
    "account_owner, rep, manager, queue)",
    ["kind", "method"],
)
DECISION_SECONDS = Histogram(
    "leadloop_routing_decision_seconds",
    "Time to decide one lead in-process (rule, candidates, rotation)",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025),
)
QUEUED = Gauge(
    "leadloop_routing_queued_leads", "Leads waiting in a team's queue, as the queue worker last saw"
)
