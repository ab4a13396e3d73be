"""Prometheus metrics the kit keeps for every service (labelled by service and topic)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "leadloop_events_consumed_total", "Events handled and committed", ["service", "topic"]
)
EVENTS_DUPLICATE = Counter(
    "leadloop_events_duplicate_total", "Redelivered events skipped by the inbox", ["service", "topic"]
)
EVENTS_FAILED = Counter("leadloop_events_failed_total", "Handler attempts that raised", ["service", "topic"])
EVENTS_DEAD_LETTERED = Counter(
    "leadloop_events_dead_lettered_total", "Events sent to <topic>.dlq", ["service", "topic"]
)
EVENTS_PRODUCED = Counter(
    "leadloop_events_produced_total", "Events published by the outbox relay", ["service", "topic"]
)
OUTBOX_BACKLOG = Gauge("leadloop_outbox_backlog", "Outbox rows not yet published", ["service"])
HANDLER_SECONDS = Histogram("leadloop_handler_seconds", "Time to handle one event", ["service", "topic"])
OUTBOX_PARKED = Gauge(
    "leadloop_outbox_parked", "Outbox rows Kafka refused for good, waiting for an operator", ["service"]
)
RELAY_ACTIVE = Gauge(
    "leadloop_outbox_relay_active",
    "1 while this instance's relay holds the outbox lock; 0 while another instance's does",
    ["service"],
)
CONSUMER_WAITING_FOR_DATABASE = Gauge(
    "leadloop_consumer_waiting_for_database",
    "1 while the batch in hand waits for the database to come back",
    ["service"],
)
REBALANCES = Counter(
    "leadloop_consumer_rebalances_total", "Partition revocations this instance went through", ["service"]
)
BACKGROUND_RESTARTS = Counter(
    "leadloop_background_restarts_total",
    "Background loops (consumer, relay, workers) restarted after failing",
    ["service", "loop"],
)
