"""Team calendars: the business hours and holidays a team's clocks run on."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import NamedTuple

from asyncpg import Record

from leadkit.db import Connection
from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_clock import clock_calendar
from sla_monitor.domain.sla_policy import Tier
from sla_monitor.domain.timers import LeadClocks

_LOAD = "SELECT team, timezone, hours, holidays FROM calendars WHERE team = ANY($1::text[])"
_ALL = "SELECT team, timezone, hours, holidays FROM calendars ORDER BY team"
_SAVE = """
INSERT INTO calendars (team, timezone, hours, holidays, updated_at) VALUES ($1, $2, $3, $4::date[], $5)
ON CONFLICT (team) DO UPDATE SET timezone = excluded.timezone, hours = excluded.hours,
    holidays = excluded.holidays, updated_at = excluded.updated_at
"""
_ADD_HOLIDAYS = """
UPDATE calendars SET holidays = ARRAY(SELECT DISTINCT d FROM unnest(holidays || $2::date[]) AS d ORDER BY d),
    updated_at = $3
WHERE team = $1 RETURNING team, timezone, hours, holidays
"""
_TEAMS = "SELECT team FROM calendars WHERE team = ANY($1::text[])"


class CalendarRow(NamedTuple):
    team: str
    timezone: str
    hours: str
    holidays: list[date]


def _row(record: Record) -> CalendarRow:
    return CalendarRow(record["team"], record["timezone"], record["hours"], list(record["holidays"]))


def _calendar(record: Record) -> BusinessCalendar:
    return BusinessCalendar.of(record["timezone"], record["hours"], frozenset(record["holidays"]))


async def calendars_for(conn: Connection, teams: Collection[str]) -> dict[str, BusinessCalendar]:
    """The calendars of these teams; a team without one runs its clocks around the clock."""
    if not teams:
        return {}
    return {row["team"]: _calendar(row) for row in await conn.fetch(_LOAD, sorted(teams))}


async def every_calendar(conn: Connection) -> dict[str, BusinessCalendar]:
    return {row["team"]: _calendar(row) for row in await conn.fetch(_ALL)}


async def all_calendars(conn: Connection) -> list[CalendarRow]:
    return [_row(record) for record in await conn.fetch(_ALL)]


async def teams_with_calendars(conn: Connection, teams: Collection[str]) -> set[str]:
    return {row["team"] for row in await conn.fetch(_TEAMS, sorted(teams))} if teams else set()


async def save_calendar(
    conn: Connection, team: str, calendar: BusinessCalendar, hours: str, now: datetime
) -> None:
    await conn.execute(_SAVE, team, calendar.timezone, hours, sorted(calendar.holidays), now)


async def add_holidays(conn: Connection, team: str, days: list[date], now: datetime) -> CalendarRow | None:
    """Add days to a team's holidays: the calendar as it is now; None when the team has none."""
    record = await conn.fetchrow(_ADD_HOLIDAYS, team, days, now)
    return None if record is None else _row(record)


async def lead_clocks(conn: Connection, leads: Sequence[tuple[Tier, int, str | None]]) -> list[LeadClocks]:
    """Each (tier, version, team) with its calendar, the team calendars read in one statement."""
    teams = {name for tier, _, team in leads for name in (tier.calendar_team, team) if name}
    calendars = await calendars_for(conn, teams)
    found = []
    for tier, version, team in leads:
        label, calendar = clock_calendar(tier, team, calendars)
        found.append(LeadClocks(tier, version, team, label, calendar))
    return found
