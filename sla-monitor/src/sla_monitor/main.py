"""sla-monitor: lead.qualified → accept clock; progress API → lead.progressed / lead.recycled;
due clocks → lead.sla_breached."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadQualified
from leadkit.idempotency import expire_keys_worker
from leadkit.service import Service, create_service_app
from sla_monitor.api import router
from sla_monitor.calendars_api import router as calendars_router
from sla_monitor.db.tables import idempotency
from sla_monitor.domain.sla_clock import accept_policy
from sla_monitor.handlers import start_accept_clocks
from sla_monitor.settings import SlaMonitorSettings
from sla_monitor.workers import run_timer_worker


def create_app(settings: SlaMonitorSettings | None = None) -> FastAPI:
    settings = settings or SlaMonitorSettings()
    policy = accept_policy(settings.accept_minutes, settings.warn_share)
    service = Service(
        name="sla-monitor",
        settings=settings,
        handlers={
            LeadQualified.topic: partial(
                start_accept_clocks, policy=policy, max_reassignments=settings.max_reassignments
            )
        },
        workers=[
            (
                "sla-timers",
                partial(
                    run_timer_worker, poll_seconds=settings.timer_poll_seconds, warn_share=settings.warn_share
                ),
            ),
            ("expire-idempotency-keys", expire_keys_worker(idempotency)),
        ],
    )
    return create_service_app(
        service,
        title="leadloop sla-monitor",
        description="Runs SLA clocks on assigned leads and takes sales' progress reports.",
        routers=[router, calendars_router],
    )
