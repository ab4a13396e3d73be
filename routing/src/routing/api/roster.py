"""The roster over HTTP: teams, reps, their availability and loads.

Every route needs a system key. A change takes effect for the next lead routed: every batch reads
the roster afresh. Bodies are checked here and turned into domain values; a wrong field is a 422
that names it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from leadkit.access import require_role
from leadkit.bounds import Day
from leadkit.consumer import utc_now
from leadkit.db import Connection
from leadkit.hours import HoursText, TimezoneName, parse_hours
from leadkit.service import Deps, get_deps, parts_of
from routing.db import views
from routing.db.roster import (
    load_roster,
    replace_absences,
    save_reps,
    upsert_teams,
)
from routing.db.views import reps_with_load, set_rep_active
from routing.domain.roster import Absence, Rep, Team
from routing.parts import RoutingParts

router = APIRouter(prefix="/v1", tags=["roster"], dependencies=[Depends(require_role("viewer"))])
DepsParam = Annotated[Deps, Depends(get_deps)]
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]


def printable(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ValueError("control characters are not allowed")
    return value.strip()


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(printable)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamWrite(Body):
    name: Name
    manager: Id | None = Field(
        default=None, description="A rep id: where exhausted leads go if the policy says so"
    )


class TeamRead(BaseModel):
    id: str
    name: str
    manager: str | None
    reps: list[str]


class RepWrite(Body):
    name: Name
    email: EmailStr
    team: Id
    weight: int = Field(default=1, ge=0, le=1000, description="Share of the team's round robin; 0 takes none")
    daily_cap: int | None = Field(default=None, ge=0, le=1_000_000, description="Most leads a local day")
    weekly_cap: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Most leads a local week (Monday on)"
    )
    max_open: int | None = Field(default=None, ge=0, le=1_000_000, description="Most open leads at once")
    skills: list[Annotated[str, Field(max_length=100, pattern=r"^[a-z_]+:[A-Za-z0-9._+-]+$")]] = Field(
        default_factory=list,
        description="`dimension:value`, e.g. `language:de`, `product:cloud`, `region:emea`",
    )
    timezone: TimezoneName = Field(default="UTC", description="IANA zone, e.g. Europe/Berlin")
    hours: HoursText = Field(
        default="", description="'mon-fri 09:00-17:00; sat 10:00-13:00'; empty: any time"
    )
    active: bool = Field(default=True, description="The on/off switch")

    def rep(self, rep_id: str) -> Rep:
        return Rep(
            id=rep_id,
            name=self.name,
            email=str(self.email).lower(),
            team=self.team,
            weight=self.weight,
            daily_cap=self.daily_cap,
            weekly_cap=self.weekly_cap,
            max_open=self.max_open,
            skills=frozenset(s.lower() for s in self.skills),
            timezone=self.timezone,
            hours=parse_hours(self.hours),
            active=self.active,
        )


class AbsenceWrite(Body):
    starts: Day
    ends: Day = Field(description="Inclusive")
    reason: Name

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceWrite:
        if self.ends < self.starts:
            raise ValueError("ends is before starts")
        return self


class AvailabilityWrite(Body):
    active: bool | None = Field(default=None, description="The on/off switch; absent: unchanged")
    reason: Name | None = Field(
        default=None, description="Why the switch moved (e.g. 'at a conference'): kept and shown with the rep"
    )
    absences: list[AbsenceWrite] = Field(
        default_factory=list,
        max_length=100,
        description="Replace the rep's absences from today on (past ones are kept as history)",
    )


class AbsenceRead(BaseModel):
    starts: date
    ends: date
    reason: str


class RepRead(BaseModel):
    id: str
    name: str
    email: str
    team: str
    weight: int
    daily_cap: int | None
    weekly_cap: int | None
    max_open: int | None
    skills: list[str]
    timezone: str
    hours: str
    active: bool
    availability_reason: str | None = Field(description="Why the on/off switch was last moved, as given")
    deleted: bool
    absences: list[AbsenceRead]
    open_leads: int = Field(description="Open leads it owns now (capacity counts these)")
    assigned_today: int = Field(description="Leads given to it this local day (the daily cap counts these)")
    assigned_this_week: int = Field(description="This local week, from Monday")


def _parts(deps: Deps) -> RoutingParts:
    return parts_of(deps, RoutingParts)


async def _reps(conn: Connection, rep_id: str | None = None) -> list[RepRead]:
    now = utc_now()
    found = []
    for row in await reps_with_load(conn, rep_id):
        load = row.load.load_at(row.rep, now)
        rep = row.rep
        found.append(
            RepRead(
                id=rep.id,
                name=rep.name,
                email=rep.email,
                team=rep.team,
                weight=rep.weight,
                daily_cap=rep.daily_cap,
                weekly_cap=rep.weekly_cap,
                max_open=rep.max_open,
                skills=row.skills,
                timezone=rep.timezone,
                hours=row.hours,
                active=rep.active,
                availability_reason=row.availability_reason,
                deleted=rep.deleted,
                open_leads=row.load.open_leads,
                assigned_today=load.today,
                assigned_this_week=load.this_week,
                absences=[AbsenceRead(starts=a.starts, ends=a.ends, reason=a.reason) for a in row.absences],
            )
        )
    return found


@router.get("/teams", response_model=list[TeamRead], summary="Every team and its reps")
async def list_teams(deps: DepsParam) -> list[TeamRead]:
    async with deps.pool.acquire() as conn:
        await _parts(deps).ensure_roster(conn)
        roster = await load_roster(conn)
    return [
        TeamRead(id=t.id, name=t.name, manager=t.manager, reps=[r.id for r in roster.members(t.id)])
        for t in roster.teams.values()
    ]


@router.put(
    "/teams/{team_id}",
    dependencies=[Depends(require_role("admin"))],
    response_model=TeamRead,
    summary="Create or replace a team",
)
async def put_team(team_id: Id, body: TeamWrite, deps: DepsParam) -> TeamRead:
    async with deps.pool.acquire() as conn, conn.transaction():
        await _parts(deps).ensure_roster(conn)
        roster = await load_roster(conn)
        if body.manager and (body.manager not in roster.reps or roster.reps[body.manager].deleted):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                [{"loc": ["body", "manager"], "msg": f"unknown rep {body.manager!r}"}],
            )
        await upsert_teams(conn, [Team(team_id, body.name, body.manager)], deps.clock())
        roster = await load_roster(conn)
    return TeamRead(
        id=team_id, name=body.name, manager=body.manager, reps=[r.id for r in roster.members(team_id)]
    )


@router.get("/reps", response_model=list[RepRead], summary="Every rep, with weight, caps, hours and absences")
async def list_reps(deps: DepsParam) -> list[RepRead]:
    async with deps.pool.acquire() as conn:
        await _parts(deps).ensure_roster(conn)
        return await _reps(conn)


@router.get("/reps/{rep_id}", response_model=RepRead, summary="One rep")
async def get_rep(rep_id: Id, deps: DepsParam) -> RepRead:
    async with deps.pool.acquire() as conn:
        found = await _reps(conn, rep_id)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rep {rep_id!r}")
    return found[0]


@router.put(
    "/reps/{rep_id}",
    dependencies=[Depends(require_role("admin"))],
    response_model=RepRead,
    summary="Create or replace a rep",
)
async def put_rep(rep_id: Id, body: RepWrite, deps: DepsParam) -> RepRead:
    async with deps.pool.acquire() as conn:
        async with conn.transaction():
            await _parts(deps).ensure_roster(conn)
            problems = await save_reps(conn, [(body.rep(rep_id), body.hours)], deps.clock())
            if problems:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_ENTITY,
                    [
                        {
                            "loc": ["body", "team"],
                            "msg": f"unknown team {body.team!r}: PUT /v1/teams/{body.team} first",
                        }
                    ],
                )
        return (await _reps(conn, rep_id))[0]


@router.put(
    "/reps/{rep_id}/availability",
    dependencies=[Depends(require_role("operator"))],
    response_model=RepRead,
    summary="Switch a rep on or off; set absences",
)
async def put_availability(rep_id: Id, body: AvailabilityWrite, deps: DepsParam) -> RepRead:
    now = deps.clock()
    async with deps.pool.acquire() as conn:
        async with conn.transaction():
            roster = await load_roster(conn)
            rep = roster.reps.get(rep_id)
            if rep is None or rep.deleted:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rep {rep_id!r}")
            if body.active is not None:
                await set_rep_active(conn, rep_id, body.active, now, body.reason)
            await replace_absences(
                conn,
                rep_id,
                [Absence(a.starts, a.ends, a.reason) for a in body.absences],
                today=rep.local(now).date(),
                now=now,
            )
        return (await _reps(conn, rep_id))[0]


@router.delete(
    "/reps/{rep_id}",
    dependencies=[Depends(require_role("admin"))],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a rep from routing; its open leads stay its own until reassigned",
)
async def delete_rep(rep_id: Id, deps: DepsParam) -> None:
    async with deps.pool.acquire() as conn:
        deleted = await views.delete_rep(conn, rep_id, deps.clock())
    if not deleted:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no rep {rep_id!r}")
