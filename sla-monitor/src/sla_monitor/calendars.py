"""Team calendars in sla-monitor's database, and the public holidays a year brings (the
maintained `holidays` package), as values the clocks use."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

import holidays
from asyncpg import Record

from leadkit.db import Connection
from sla_monitor.domain.calendar import BusinessCalendar

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


class UnknownCountry(ValueError):
    pass


def calendar_of(row: Mapping[str, Any] | Record) -> BusinessCalendar:
    return BusinessCalendar.of(row["timezone"], row["hours"], frozenset(row["holidays"]))


async def calendars_for(conn: Connection, teams: Collection[str]) -> dict[str, BusinessCalendar]:
    """The calendars of these teams; a team without one runs its clocks around the clock."""
    if not teams:
        return {}
    return {row["team"]: calendar_of(row) for row in await conn.fetch(_LOAD, sorted(teams))}


async def all_calendars(conn: Connection) -> list[tuple[str, str, str, list[date]]]:
    return [(r["team"], r["timezone"], r["hours"], list(r["holidays"])) for r in await conn.fetch(_ALL)]


async def save_calendar(
    conn: Connection, team: str, calendar: BusinessCalendar, hours: str, now: datetime
) -> None:
    await conn.execute(_SAVE, team, calendar.timezone, hours, sorted(calendar.holidays), now)


def public_holidays(country: str, year: int, subdivision: str | None = None) -> list[date]:
    """A year's public holidays of a country (and region), e.g. DE and BY for Bavaria."""
    try:
        found = holidays.country_holidays(country.upper(), subdiv=subdivision, years=year)
    except NotImplementedError as error:  # how `holidays` says it has no such country or region
        raise UnknownCountry(str(error)) from error
    return sorted(found)


async def add_holidays(conn: Connection, team: str, days: list[date], now: datetime) -> bool:
    """Add days to a team's holidays; False when the team has no calendar."""
    return await conn.fetchrow(_ADD_HOLIDAYS, team, days, now) is not None
