"""The SLA screen's API: what is about to breach (with the seconds left, by sla-monitor's clock),
what breached and waits for a manager, breaches by weekday and hour, and acknowledging one with a
note — who did it and when is kept on the clock and shown with the lead."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, Field, StringConstraints

from leadkit.access import Caller, require_role
from leadkit.bounds import Instant
from leadkit.hours import TimezoneName
from leadkit.service import Deps, get_deps
from sla_monitor.db import breaches
from sla_monitor.db.breaches import ClockRow

router = APIRouter(prefix="/v1/sla", tags=["SLA breaches"], dependencies=[Depends(require_role("viewer"))])
TimerId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The clock's id (`id` in these answers)")]
Team = Annotated[str | None, Query(max_length=200, description="One team's clocks only")]


class ClockOnScreen(BaseModel):
    id: int
    lead_id: str
    clock: str = Field(description="accept | first_contact | follow_up | disposition")
    owner: str
    team: str | None
    tier: str | None
    started_at: datetime
    due_at: datetime
    target_minutes: float | None = Field(description="In business minutes")
    escalation: str = Field(description="What its breach does (did): reassign, notify or recycle")
    status: str
    seconds_left: int | None = Field(
        description="Running clocks: until due, by sla-monitor's clock (≤ 0: overdue)"
    )
    breached_at: datetime | None = Field(description="Breached clocks: when the sweep closed it")
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str | None


class Breaching(BaseModel):
    now: datetime = Field(description="sla-monitor's clock when it answered: count down from here")
    due: list[ClockOnScreen] = Field(description="Running clocks, the soonest due first")
    breached: list[ClockOnScreen] = Field(description="Breached since `hours` ago, newest first")


class HeatCellRead(BaseModel):
    weekday: int = Field(description="0 Monday … 6 Sunday, in `timezone`")
    hour: int = Field(description="0 to 23, in `timezone`")
    breaches: int


class Heatmap(BaseModel):
    start: datetime = Field(serialization_alias="from")
    to: datetime
    timezone: str
    total: int
    cells: list[HeatCellRead] = Field(description="Only the weekday-hours with a breach")


class Acknowledgement(BaseModel):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="What is being done about it"
    )


def _on_screen(row: ClockRow, now: datetime, *, words: bool) -> ClockOnScreen:
    running = row.status == "pending"
    return ClockOnScreen(
        id=row.id,
        lead_id=str(row.lead_id),
        clock=row.clock,
        owner=row.owner,
        team=row.team,
        tier=row.tier,
        started_at=row.started_at,
        due_at=row.due_at,
        target_minutes=None if row.target_minutes is None else float(row.target_minutes),
        escalation=row.escalation,
        status=row.status,
        seconds_left=int((row.due_at - now).total_seconds()) if running else None,
        breached_at=row.closed_at if row.status == "breached" else None,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        acknowledgement=row.acknowledgement if words or row.acknowledgement is None else "hidden",
    )


@router.get(
    "/breaching", response_model=Breaching, summary="Clocks about to breach, and breaches to acknowledge"
)
async def breaching(
    deps: Annotated[Deps, Depends(get_deps)],
    caller: Annotated[Caller, Depends(require_role("viewer"))],
    team: Team = None,
    hours: Annotated[int, Query(ge=1, le=24 * 31, description="Breaches of the last so many hours")] = 24,
    acknowledged: Annotated[bool, Query(description="Also the breaches already acknowledged")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Breaching:
    now = deps.clock()
    async with deps.pool.acquire() as conn:
        due = await breaches.clocks_due(conn, team=team, limit=limit)
        breached = await breaches.recent_breaches(
            conn, since=now - timedelta(hours=hours), team=team, acknowledged=acknowledged, limit=limit
        )
    words = caller.personal_data
    return Breaching(
        now=now,
        due=[_on_screen(row, now, words=words) for row in due],
        breached=[_on_screen(row, now, words=words) for row in breached],
    )


@router.get(
    "/breaches/heatmap",
    response_model=Heatmap,
    response_model_by_alias=True,
    summary="Breaches by weekday and hour of their due time, in a time zone",
)
async def heatmap(
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Due from (inclusive)")],
    to: Annotated[Instant, Query(description="Due before (exclusive)")],
    timezone: Annotated[TimezoneName, Query(description="IANA zone the weekdays and hours are in")] = "UTC",
    team: Team = None,
) -> Heatmap:
    if start >= to:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="`from` must be before `to`")
    async with deps.pool.acquire() as conn:
        cells = await breaches.breach_heatmap(conn, start=start, to=to, timezone=timezone, team=team)
    return Heatmap(
        start=start,
        to=to,
        timezone=timezone,
        total=sum(cell.breaches for cell in cells),
        cells=[HeatCellRead(weekday=c.weekday, hour=c.hour, breaches=c.breaches) for c in cells],
    )


@router.post(
    "/breaches/{timer_id}/acknowledge",
    response_model=ClockOnScreen,
    summary="Acknowledge a breach with a note: who and when are kept on the clock",
    responses={
        404: {"description": "No such clock"},
        409: {"description": "It has not breached, or was acknowledged"},
    },
)
async def acknowledge(
    timer_id: TimerId,
    body: Acknowledgement,
    deps: Annotated[Deps, Depends(get_deps)],
    caller: Annotated[Caller, Depends(require_role("operator"))],
) -> ClockOnScreen:
    now = deps.clock()
    async with deps.pool.acquire() as conn, conn.transaction():
        row = await breaches.lock_clock(conn, timer_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no clock {timer_id}")
        if row.status != "breached":
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail=f"clock {timer_id} is {row.status}, not breached"
            )
        if row.acknowledged_at is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail=f"clock {timer_id} was acknowledged by {row.acknowledged_by} "
                f"at {row.acknowledged_at:%Y-%m-%d %H:%M} UTC",
            )
        await breaches.acknowledge(conn, timer_id, at=now, by=caller.name, note=body.note)
        done = await breaches.lock_clock(conn, timer_id)
    return _on_screen(done or row, now, words=True)
