"""routing: lead.scored → qualification → rule → owner or team queue → lead.qualified;
lead.sla_breached → reassignment; lead.progressed and lead.recycled → capacity released."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadErased, LeadProgressed, LeadRecycled, LeadScored, LeadSlaBreached
from leadkit.policy_api import policy_router
from leadkit.service import Service, create_service_app
from routing.api.accounts import router as accounts_router
from routing.api.roster import router as roster_router
from routing.api.routing import router
from routing.api.simulate import router as simulate_router
from routing.handlers import forget_erased, route_leads
from routing.parts import routing_parts
from routing.settings import RoutingSettings
from routing.workers import run_queue_worker


def create_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    parts = routing_parts(settings)
    # Read at start-up so a broken default policy stops the service instead of mis-routing leads.
    parts.policies.kind.parse(parts.policies.validate(settings.policy_file.read_text(), "toml")[0])
    route = partial(route_leads, parts=parts)  # one handler for every topic: one batch per poll
    service = Service(
        name="routing",
        settings=settings,
        extras=parts,
        handlers={
            LeadScored.topic: route,
            LeadSlaBreached.topic: route,
            LeadProgressed.topic: route,
            LeadRecycled.topic: route,
            LeadErased.topic: forget_erased,
        },
        workers=[
            ("queues", partial(run_queue_worker, parts=parts, poll_seconds=settings.queue_poll_seconds))
        ],
    )
    return create_service_app(
        service,
        title="leadloop routing",
        description="Qualifies scored leads and gives each an owner by the versioned routing policy, "
        "recording why; keeps distribution fair; reassigns after SLA breaches.",
        routers=[
            router,
            roster_router,
            accounts_router,
            simulate_router,
            policy_router(
                parts.policies, prefix="/v1/routing/policies", noun="policy", tag="routing policies"
            ),
        ],
    )
