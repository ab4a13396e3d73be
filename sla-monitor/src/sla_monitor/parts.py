"""sla-monitor's parts as the service and the CLI both build them (the service's typed Deps extras)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadkit.db import Connection
from leadkit.policies import PolicyStore
from leadkit.policy_document import Problem
from sla_monitor.db.calendars import teams_with_calendars
from sla_monitor.domain.sla_policy import SlaPolicy, sla_policies

DEFAULT_POLICY = Path(__file__).parent / "config" / "default_sla_policy.toml"


@dataclass(frozen=True)
class SlaParts:
    policies: PolicyStore[SlaPolicy]


async def calendars_check(
    conn: Connection, document: dict[str, Any], policy: SlaPolicy | None
) -> list[Problem]:
    """A tier that names a team's calendar needs that calendar (PUT /v1/sla/calendars/{team});
    checked once the tiers themselves parse."""
    if policy is None:
        return []
    known = await teams_with_calendars(conn, policy.calendar_teams())
    return [
        Problem(f"tiers[{index}].team_calendar", f"no calendar for team {tier.calendar_team!r}")
        for index, tier in enumerate(policy.tiers)
        if tier.calendar_team and tier.calendar_team not in known
    ]


def sla_parts(policy_file: Path = DEFAULT_POLICY) -> SlaParts:
    return SlaParts(policies=PolicyStore(sla_policies(policy_file), check=calendars_check))
