"""routing: lead.scored → MQL bar → owner → lead.qualified; lead.sla_breached → reassignment."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadScored, LeadSlaBreached
from leadkit.service import Service, create_service_app
from routing.api import router
from routing.domain.config import load_routing_config
from routing.handlers import route_leads
from routing.settings import RoutingSettings


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    config = load_routing_config(settings.config_file.read_text())

    route = partial(route_leads, config=config)  # one handler for both topics: one batch per poll
    service = Service(
        name="routing",
        settings=settings,
        extras=config,
        handlers={
            LeadScored.topic: route,
            LeadSlaBreached.topic: route,
        },
    )
    return create_service_app(
        service,
        title="leadloop routing",
        description="Qualifies scored leads and assigns each to a rep, recording why.",
        routers=[router],
    )
