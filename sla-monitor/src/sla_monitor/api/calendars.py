"""Team calendars over HTTP: the business hours a team's SLA clocks run on. System key."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from leadkit.access import require_role
from leadkit.bounds import Day
from leadkit.hours import HoursText, TimezoneName, parse_hours
from leadkit.service import Deps, get_deps
from sla_monitor.db.calendars import add_holidays, all_calendars, save_calendar
from sla_monitor.domain.calendar import BusinessCalendar, NoWorkingTime
from sla_monitor.domain.holidays import UnknownCountry, public_holidays

router = APIRouter(
    prefix="/v1/sla/calendars", tags=["calendars"], dependencies=[Depends(require_role("viewer"))]
)
DepsParam = Annotated[Deps, Depends(get_deps)]
Team = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]


class CalendarWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: TimezoneName = Field(description="IANA zone, e.g. Europe/Berlin")
    hours: HoursText = Field(description="'mon-fri 09:00-18:00'; several shifts with ';'")
    holidays: list[Day] = Field(default_factory=list, max_length=2000, description="Closed days")

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.timezone, parse_hours(self.hours), frozenset(self.holidays))


class CalendarRead(BaseModel):
    team: str
    timezone: str
    hours: str
    holidays: list[date]


@router.get("", response_model=list[CalendarRead], summary="Every team calendar")
async def list_calendars(deps: DepsParam) -> list[CalendarRead]:
    async with deps.pool.acquire() as conn:
        rows = await all_calendars(conn)
    return [CalendarRead(team=t, timezone=z, hours=h, holidays=d) for t, z, h, d in rows]


@router.put(
    "/{team}",
    dependencies=[Depends(require_role("admin"))],
    response_model=CalendarRead,
    summary="Set a team's business hours and holidays (its next clocks run on them)",
    responses={422: {"description": "an unknown zone, hours that do not parse, or no working time at all"}},
)
async def put_calendar(team: Team, body: CalendarWrite, deps: DepsParam) -> CalendarRead:
    try:
        calendar = body.calendar()
    except NoWorkingTime as error:  # zone and hours were checked by the model already
        problem = [{"loc": ["body", "hours"], "msg": str(error)}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem) from error
    async with deps.pool.acquire() as conn:
        await save_calendar(conn, team, calendar, body.hours, deps.clock())
    return CalendarRead(
        team=team, timezone=body.timezone, hours=body.hours, holidays=sorted(calendar.holidays)
    )


@router.post(
    "/{team}/holidays",
    dependencies=[Depends(require_role("admin"))],
    response_model=CalendarRead,
    summary="Add a year's public holidays of a country (and region) to a team's calendar",
    responses={404: {"description": "the team has no calendar"}, 422: {"description": "unknown country"}},
)
async def import_holidays(
    team: Team,
    deps: DepsParam,
    country: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    subdivision: Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9-]+$")] = None,
) -> CalendarRead:
    try:
        days = public_holidays(country, year, subdivision)
    except UnknownCountry as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(error)) from error
    async with deps.pool.acquire() as conn:
        found = await add_holidays(conn, team, days, deps.clock())
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"team {team} has no calendar: PUT it first")
    return CalendarRead(team=found.team, timezone=found.timezone, hours=found.hours, holidays=found.holidays)
