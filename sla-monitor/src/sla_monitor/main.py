"""sla-monitor: lead.captured → known leads; lead.qualified → the SLA policy's clocks; progress API →
lead.progressed / lead.recycled; due clocks → lead.sla_warned / lead.sla_breached (/ lead.recycled);
lead events → deliveries to the sales tools subscribed to them (sla_monitor.delivery); rep.changed →
the reps a CRM owner map may name."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import (
    LeadCaptured,
    LeadErased,
    LeadProgressed,
    LeadQualified,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
    LeadSlaWarned,
    RepChanged,
)
from leadkit.handler_chain import in_turn
from leadkit.idempotency import expire_keys_worker
from leadkit.policy_api import policy_router
from leadkit.service import Service, create_service_app
from sla_monitor.api import breaches, calendars, progress, reports, simulate
from sla_monitor.db.tables import idempotency
from sla_monitor.delivery import handlers as delivery
from sla_monitor.delivery.api import lead_deliveries, subscriptions
from sla_monitor.delivery.process import run_deliveries
from sla_monitor.handlers import forget_erased, know_captured_leads, start_accept_clocks
from sla_monitor.parts import sla_parts
from sla_monitor.settings import SlaMonitorSettings
from sla_monitor.workers import run_timer_worker


def create_app(settings: SlaMonitorSettings | None = None) -> FastAPI:
    settings = settings or SlaMonitorSettings()
    parts = sla_parts(settings.policy_file, longest_timer_rest=settings.timer_poll_seconds)
    service = Service(
        name="sla-monitor",
        settings=settings,
        extras=parts,
        handlers={
            LeadCaptured.topic: in_turn(know_captured_leads, delivery.remember_captures),
            LeadScored.topic: in_turn(delivery.remember_scores, delivery.enqueue_deliveries),
            LeadQualified.topic: in_turn(
                partial(start_accept_clocks, parts=parts), delivery.enqueue_deliveries
            ),
            # its own events, consumed back: each becomes its deliveries in the consuming transaction
            **dict.fromkeys(
                (LeadProgressed.topic, LeadSlaWarned.topic, LeadSlaBreached.topic, LeadRecycled.topic),
                delivery.enqueue_deliveries,
            ),
            LeadErased.topic: in_turn(forget_erased, delivery.forget_erased),
            RepChanged.topic: delivery.remember_reps,  # what a CRM owner map may name
        },
        workers=[
            ("sla-timers", run_timer_worker),
            ("expire-idempotency-keys", expire_keys_worker(idempotency)),
            ("deliveries", run_deliveries),
        ],
    )
    return create_service_app(
        service,
        title="leadloop sla-monitor",
        description="Runs the SLA policy's clocks on business hours for assigned leads, takes sales' "
        "progress reports, escalates, and reports compliance.",
        routers=[
            progress.router,
            calendars.router,
            reports.router,
            breaches.router,
            simulate.router,
            subscriptions.router,
            lead_deliveries.router,
            policy_router(parts.policies, prefix="/v1/sla/policies", noun="policy", tag="SLA policies"),
        ],
    )
