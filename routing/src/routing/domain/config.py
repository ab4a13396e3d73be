"""The routing configuration: the MQL bar and the reps, read from a TOML file into values."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    id: str
    name: str
    email: str
    active: bool = True


@dataclass(frozen=True)
class RoutingConfig:
    mql_threshold: int
    reps: tuple[Rep, ...]


class InvalidRoutingConfig(ValueError):
    pass


def load_routing_config(text: str) -> RoutingConfig:
    raw = tomllib.loads(text)
    try:
        threshold = int(raw["qualification"]["mql_threshold"])
        reps = tuple(
            Rep(
                id=str(r["id"]),
                name=str(r["name"]),
                email=str(r["email"]),
                active=bool(r.get("active", True)),
            )
            for r in raw.get("reps", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRoutingConfig(f"routing config: {exc!r}") from exc
    ids = [rep.id for rep in reps]
    if len(set(ids)) != len(ids):
        raise InvalidRoutingConfig("routing config: rep ids must be unique")
    if not reps:
        raise InvalidRoutingConfig("routing config: at least one rep is needed")
    return RoutingConfig(mql_threshold=threshold, reps=reps)
