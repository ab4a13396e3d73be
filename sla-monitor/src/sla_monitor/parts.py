"""sla-monitor's parts as the service and the CLI both build them (the service's typed Deps extras)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadkit.db import Connection
from leadkit.next_due import NextDue
from leadkit.policies import PolicyStore
from leadkit.policy_document import Problem
from sla_monitor.db.calendars import teams_with_calendars
from sla_monitor.domain.sla_policy import SlaPolicy, sla_policies
from sla_monitor.domain.timers import TimerRows

DEFAULT_POLICY = Path(__file__).parent / "config" / "default_sla_policy.toml"


@dataclass(frozen=True)
class SlaParts:
    policies: PolicyStore[SlaPolicy]
    # the timer sweep's rest; whatever starts a clock tells it when the clock is due
    timers_due: NextDue = field(default_factory=lambda: NextDue(longest=30.0))

    def started(self, timers: TimerRows) -> None:
        if (due := timers.first_due) is not None:
            self.timers_due.expect(due)


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


def sla_parts(policy_file: Path = DEFAULT_POLICY, *, longest_timer_rest: float = 30.0) -> SlaParts:
    return SlaParts(
        policies=PolicyStore(sla_policies(policy_file), check=calendars_check),
        timers_due=NextDue(longest=longest_timer_rest),
    )
