"""`GET /v1/reports/speed`: speed to lead and SLA — minutes from capture to assignment, acceptance
and first contact (wall clock), the SLA clocks' business minutes as sla-monitor measured them,
breach rate, and leads no human ever touched."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.db.speed import BUSINESS, WALL, SpeedCounts, SpeedKey, speed_counts
from reporting.db.sql import Spread, rate

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])


class SpeedRow(BaseModel):
    key: str
    leads: int
    assigned: int = Field(description="Leads that got an owner")
    breached: int = Field(description="Leads with at least one SLA breach")
    breach_rate: float | None = Field(description="breached / assigned")
    no_human_step: int = Field(description="Assigned leads sales never reported a step for")
    wall_minutes: dict[str, Spread] = Field(
        description="From capture to assignment, acceptance, first contact"
    )
    business_minutes: dict[str, Spread] = Field(
        description="The accept clock (assignment → acceptance) and the first-contact clock (acceptance → "
        "first contact), on the team's business hours, as sla-monitor measured them"
    )


class SpeedReport(BaseModel):
    group_by: SpeedKey
    timezone: str
    start: datetime = Field(serialization_alias="from")
    to: datetime
    rows: list[SpeedRow]


def _row(counts: SpeedCounts) -> SpeedRow:
    return SpeedRow(
        key=counts.key,
        leads=counts.leads,
        assigned=counts.assigned,
        breached=counts.breached,
        breach_rate=rate(counts.breached, counts.assigned),
        no_human_step=counts.no_human_step,
        wall_minutes=counts.wall_minutes,
        business_minutes=counts.business_minutes,
    )


@router.get(
    "/speed",
    response_model=SpeedReport,
    response_model_by_alias=True,
    summary="Speed to lead and SLA: minutes to assignment, acceptance, first contact; breach rate",
)
async def get_speed(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Captured from (inclusive)")],
    to: Annotated[Instant, Query(description="Captured before (exclusive)")],
    group_by: Annotated[SpeedKey, Query()] = "rep",
    timezone: Annotated[str, Query(max_length=64, description="For hour and weekday: an IANA zone")] = "UTC",
    format_: FormatParam = None,
) -> SpeedReport | Response:
    check_window(start, to)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"{timezone!r} is not an IANA time zone such as Europe/Berlin",
        ) from None
    async with deps.pool.acquire() as conn:
        rows = [_row(counts) for counts in await speed_counts(conn, group_by, start, to, timezone)]
    if wants_csv(request, format_):
        spreads = [(f"wall_{n}", n, "wall_minutes") for n, _ in WALL]
        spreads += [(f"business_{n}", n, "business_minutes") for n, _ in BUSINESS]
        return csv_response(
            f"speed-{group_by}",
            ["key", "leads", "assigned", "breached", "breach_rate", "no_human_step"]
            + [f"{label}_{kind}" for label, _, _ in spreads for kind in ("median", "p90")],
            [
                [r.key, r.leads, r.assigned, r.breached, r.breach_rate, r.no_human_step]
                + [
                    getattr(getattr(r, part)[name], kind)
                    for _, name, part in spreads
                    for kind in ("median", "p90")
                ]
                for r in rows
            ],
        )
    return SpeedReport(group_by=group_by, timezone=timezone, start=start, to=to, rows=rows)
