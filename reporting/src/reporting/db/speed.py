"""What the speed report counts: per source, channel, campaign, rep, team, hour or weekday of the
leads captured in a window, minutes from capture to each step (wall clock), the SLA clocks'
business minutes, breaches and leads no human touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from leadkit.db import Connection
from reporting.db.sql import Spread, between, spread_of, spread_sql
from reporting.domain.funnel import NONE_KEY

SpeedKey = Literal["source", "channel", "campaign", "rep", "team", "hour", "weekday"]
SPEED_KEYS: tuple[SpeedKey, ...] = get_args(SpeedKey)
_KEYS = {
    "source": f"coalesce(source, '{NONE_KEY}')",
    "channel": f"coalesce(channel, '{NONE_KEY}')",
    "campaign": f"coalesce(campaign, '{NONE_KEY}')",
    "rep": f"coalesce(owner, '{NONE_KEY}')",
    "team": f"coalesce(team, '{NONE_KEY}')",
    # of capture, in the asked time zone: 00 … 23, and ISO weekday 1-Mon … 7-Sun
    "hour": "to_char(captured_at AT TIME ZONE $3, 'HH24')",
    "weekday": "to_char(captured_at AT TIME ZONE $3, 'ID-Dy')",
}
# wall-clock minutes from capture, of the leads that reached the step
WALL = (
    ("to_assignment", "assigned_at"),
    ("to_acceptance", "sal_at"),
    ("to_first_contact", "first_contact_at"),
)
BUSINESS = (("accept", "accept_business_minutes"), ("first_contact", "contact_business_minutes"))


def _speed_sql(key: SpeedKey) -> str:
    spreads = [spread_sql(name, between("captured_at", at, 60.0), f"{at} IS NOT NULL") for name, at in WALL]
    spreads += [spread_sql(f"business_{name}", column, f"{column} IS NOT NULL") for name, column in BUSINESS]
    return f"""
SELECT {_KEYS[key]} AS key, count(*) AS leads, count(*) FILTER (WHERE assigned_at IS NOT NULL) AS assigned,
       count(*) FILTER (WHERE sla_breaches > 0) AS breached,
       count(*) FILTER (WHERE assigned_at IS NOT NULL AND first_step_at IS NULL) AS no_human_step,
       {", ".join(spreads)}
FROM lead_funnel
WHERE captured_at >= $1 AND captured_at < $2 AND ($3::text IS NOT NULL)
GROUP BY 1 ORDER BY count(*) DESC, 1
"""


@dataclass(frozen=True)
class SpeedCounts:
    key: str
    leads: int
    assigned: int
    breached: int
    no_human_step: int
    wall_minutes: dict[str, Spread]
    business_minutes: dict[str, Spread]


async def speed_counts(
    conn: Connection, key: SpeedKey, start: datetime, to: datetime, timezone: str
) -> list[SpeedCounts]:
    return [
        SpeedCounts(
            key=record["key"],
            leads=record["leads"],
            assigned=record["assigned"],
            breached=record["breached"],
            no_human_step=record["no_human_step"],
            wall_minutes={name: spread_of(record, name) for name, _ in WALL},
            business_minutes={name: spread_of(record, f"business_{name}") for name, _ in BUSINESS},
        )
        for record in await conn.fetch(_speed_sql(key), start, to, timezone)
    ]
