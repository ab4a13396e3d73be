"""A subscription: where a sales tool wants lead events, which events, and for which leads. Pure.

Filters narrow by the facts of the lead the event is about — team, owner, grade, source, region —
each a value or a list of values; every filter given must hold. An event whose lead lacks a fact
a filter names does not match it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args
from uuid import UUID

EventType = Literal[
    "lead.qualified",
    "lead.scored",
    "lead.progressed",
    "lead.sla_warned",
    "lead.sla_breached",
    "lead.recycled",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
FilterKey = Literal["team", "owner", "grade", "source", "region"]
FILTER_KEYS: tuple[FilterKey, ...] = get_args(FilterKey)
Kind = Literal["webhook", "slack", "hubspot", "salesforce"]
KINDS: tuple[Kind, ...] = get_args(Kind)

Facts = Mapping[str, str | None]


@dataclass(frozen=True)
class Subscription:
    id: UUID
    kind: Kind
    url: str
    event_types: frozenset[str]
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""
    paused: bool = False
    disabled_at: datetime | None = None
    disabled_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def wants(self, event_type: str, facts: Facts) -> bool:
        """Whether an event of this type, about a lead with these facts, is this subscription's."""
        return self.active and event_type in self.event_types and matches(self.filters, facts)


def matches(filters: Mapping[str, Sequence[str]], facts: Facts) -> bool:
    return all(facts.get(key) in values for key, values in filters.items())


def filter_problems(filters: Mapping[str, object]) -> list[tuple[str, str]]:
    """(key, problem) for each filter that is not a known key with a value or a list of values."""
    problems = []
    for key, value in filters.items():
        if key not in FILTER_KEYS:
            problems.append((key, f"unknown filter; filters are {', '.join(FILTER_KEYS)}"))
        elif not _values(value):
            problems.append((key, "a filter is a text or a non-empty list of texts"))
    return problems


def normalized_filters(filters: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """Filters as sorted tuples of values (call after `filter_problems` found none)."""
    return {key: tuple(sorted(set(_values(value) or ()))) for key, value in sorted(filters.items())}


def _values(value: object) -> list[str] | None:
    if isinstance(value, str) and value:
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return list(value)
    return None
