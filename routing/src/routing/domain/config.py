"""The routing configuration file: the old MQL bar, and the roster an empty database starts with."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from routing.domain.roster import Rep, Team


@dataclass(frozen=True)
class RoutingConfig:
    mql_threshold: int
    teams: tuple[Team, ...]
    reps: tuple[Rep, ...]


class InvalidRoutingConfig(ValueError):
    pass


def load_routing_config(text: str) -> RoutingConfig:
    raw = tomllib.loads(text)
    try:
        threshold = int(raw["qualification"]["mql_threshold"])
        teams = tuple(Team(id=str(t["id"]), name=str(t.get("name", t["id"]))) for t in raw.get("teams", []))
        reps = tuple(
            Rep(
                id=str(r["id"]),
                name=str(r["name"]),
                email=str(r["email"]),
                team=str(r.get("team", teams[0].id if teams else "sales")),
                weight=int(r.get("weight", 1)),
                active=bool(r.get("active", True)),
            )
            for r in raw.get("reps", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRoutingConfig(f"routing config: {exc!r}") from exc
    ids = [rep.id for rep in reps]
    if len(set(ids)) != len(ids):
        raise InvalidRoutingConfig("routing config: rep ids must be unique")
    unknown = {rep.team for rep in reps} - {team.id for team in teams}
    if unknown:
        raise InvalidRoutingConfig(f"routing config: reps name unknown teams {sorted(unknown)}")
    return RoutingConfig(mql_threshold=threshold, teams=teams, reps=reps)
