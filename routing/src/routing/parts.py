"""Routing's parts as the service and the CLI both build them (the service's typed Deps extras)."""

from __future__ import annotations

from dataclasses import dataclass

from leadkit.consumer import utc_now
from leadkit.db import Connection
from leadkit.policies import PolicyStore
from routing.db.rep_changes import announce_roster
from routing.db.roster import load_roster, roster_check, roster_version, seed_roster
from routing.domain.config import RoutingConfig, load_routing_config
from routing.domain.policy import RoutingPolicy, routing_policies
from routing.domain.roster import Roster
from routing.settings import RoutingSettings


@dataclass
class RoutingParts:
    """What routing's handlers, API and CLI share."""

    config: RoutingConfig
    policies: PolicyStore[RoutingPolicy]
    _roster_seeded: bool = False
    _roster: Roster | None = None
    _roster_version: int | None = None

    async def ensure_roster(self, conn: Connection) -> None:
        """An empty roster gets the configuration file's teams and reps, and the roster is announced
        on rep.changed (once a process)."""
        if not self._roster_seeded:
            await seed_roster(conn, self.config)
            await announce_roster(conn, utc_now())
            self._roster_seeded = True

    async def roster(self, conn: Connection) -> Roster:
        """The roster as it is now: kept in memory until a change to teams, reps or absences moves
        the version a trigger keeps, so a poll reads one number instead of three tables."""
        await self.ensure_roster(conn)
        version = await roster_version(conn)
        if self._roster is None or version != self._roster_version:
            # read after the version: a change committed in between is newer than the number kept,
            # so the next poll reads the roster again
            self._roster, self._roster_version = await load_roster(conn), version
        return self._roster


def routing_parts(settings: RoutingSettings) -> RoutingParts:
    """A policy naming a team or rep the roster lacks is refused when saved and when activated."""
    return RoutingParts(
        config=load_routing_config(settings.config_file.read_text()),
        policies=PolicyStore(routing_policies(settings.policy_file), check=roster_check),
    )
