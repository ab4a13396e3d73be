"""Routing's parts as the service and the CLI both build them (the service's typed Deps extras)."""

from __future__ import annotations

from dataclasses import dataclass

from leadkit.db import Connection
from leadkit.policies import PolicyStore
from routing.domain.config import RoutingConfig, load_routing_config
from routing.domain.policy import RoutingPolicy, routing_policies
from routing.settings import RoutingSettings
from routing.store import roster_check, seed_roster


@dataclass
class RoutingParts:
    """What routing's handlers, API and CLI share."""

    config: RoutingConfig
    policies: PolicyStore[RoutingPolicy]
    _roster_seeded: bool = False

    async def ensure_roster(self, conn: Connection) -> None:
        """An empty roster gets the configuration file's teams and reps (once a process)."""
        if not self._roster_seeded:
            await seed_roster(conn, self.config)
            self._roster_seeded = True


def routing_parts(settings: RoutingSettings) -> RoutingParts:
    """A policy naming a team or rep the roster lacks is refused when saved and when activated."""
    return RoutingParts(
        config=load_routing_config(settings.config_file.read_text()),
        policies=PolicyStore(routing_policies(settings.policy_file), check=roster_check),
    )
