"""Routing's parts as the service and the CLI both build them."""

from __future__ import annotations

from leadkit.policies import PolicyStore
from routing.domain.config import load_routing_config
from routing.domain.policy import routing_policies
from routing.handlers import RoutingParts
from routing.settings import RoutingSettings
from routing.store import roster_check


def routing_parts(settings: RoutingSettings) -> RoutingParts:
    """A policy naming a team or rep the roster lacks is refused when saved and when activated."""
    return RoutingParts(
        config=load_routing_config(settings.config_file.read_text()),
        policies=PolicyStore(routing_policies(settings.policy_file), check=roster_check),
    )
