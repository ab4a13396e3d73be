"""What the SLA reports and a policy's what-if read: closed clocks grouped by clock, rep and team,
sales' verdicts on the MQLs of a period, and the clocks of a past window."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from leadkit.db import Connection
from sla_monitor.domain.marketing import Verdicts
from sla_monitor.domain.simulate import PastClock
from sla_monitor.domain.sla_policy import ClockName

# a clock met after its due time (a late report of a step) counts as breached
_COMPLIANCE = """
SELECT clock, team, owner, GROUPING(team) AS all_teams, GROUPING(owner) AS all_reps,
       count(*) FILTER (WHERE status = 'met' AND closed_at <= due_at) AS met,
       count(*) FILTER (WHERE status = 'breached' OR closed_at > due_at) AS breached,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY business_minutes) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY business_minutes) AS p90
FROM timers
WHERE escalation <> 'warn' AND status IN ('met', 'breached') AND started_at >= $1 AND started_at < $2
  AND ($3::text IS NULL OR team = $3) AND ($4::text IS NULL OR owner = $4)
GROUP BY GROUPING SETS ((clock, team, owner), (clock, team), (clock))
ORDER BY clock, GROUPING(team), team NULLS FIRST, GROUPING(owner), owner
"""
# each MQL of the period with sales' first verdict on it (accepted or rejected) since
_VERDICTS = """
SELECT m.team, m.region, v.stage AS verdict, v.reason, count(*) AS count
FROM mqls m
LEFT JOIN LATERAL (
    SELECT p.stage, p.reason FROM progress p
    WHERE p.lead_id = m.lead_id AND p.stage IN ('accepted', 'rejected') AND p.occurred_at >= m.qualified_at
    ORDER BY p.occurred_at, p.id LIMIT 1
) v ON true
WHERE m.qualified_at >= $1 AND m.qualified_at < $2
GROUP BY 1, 2, 3, 4
"""


_PAST = """
SELECT t.lead_id, t.clock, t.tier, t.team, t.owner, t.started_at, t.due_at, t.status, t.closed_at,
       l.facts::text AS facts
FROM timers t JOIN leads l USING (lead_id)
WHERE t.escalation <> 'warn' AND t.status IN ('met', 'breached') AND l.facts IS NOT NULL
  AND t.started_at >= $1 AND t.started_at < $2
ORDER BY t.started_at, t.id
LIMIT $3
"""


@dataclass(frozen=True)
class ComplianceCount:
    """Closed clocks of one clock name at one level: a rep (team and owner), a team, or all."""

    clock: str
    team: str | None
    owner: str | None
    all_teams: bool
    all_reps: bool
    met: int
    breached: int
    median: float | None
    p90: float | None


async def compliance_counts(
    conn: Connection, start: datetime, to: datetime, team: str | None, rep: str | None
) -> list[ComplianceCount]:
    return [
        ComplianceCount(
            clock=row["clock"],
            team=row["team"],
            owner=row["owner"],
            all_teams=bool(row["all_teams"]),
            all_reps=bool(row["all_reps"]),
            met=row["met"],
            breached=row["breached"],
            median=None if row["median"] is None else float(row["median"]),
            p90=None if row["p90"] is None else float(row["p90"]),
        )
        for row in await conn.fetch(_COMPLIANCE, start, to, team, rep)
    ]


async def verdict_counts(conn: Connection, start: datetime, end: datetime) -> list[Verdicts]:
    return [
        Verdicts(r["team"], r["region"], r["verdict"], r["reason"], r["count"])
        for r in await conn.fetch(_VERDICTS, start, end)
    ]


async def past_clocks(conn: Connection, start: datetime, to: datetime, limit: int) -> list[PastClock]:
    """Up to `limit` closed clocks started in the window, with the facts their tier was chosen on."""
    return [
        PastClock(
            lead_id=row["lead_id"],
            clock=cast(ClockName, row["clock"]),
            tier=row["tier"],
            team=row["team"],
            owner=row["owner"],
            started_at=row["started_at"],
            due_at=row["due_at"],
            status=row["status"],
            closed_at=row["closed_at"],
            facts=json.loads(row["facts"]),
        )
        for row in await conn.fetch(_PAST, start, to, limit)
    ]
