"""`GET /v1/reports/speed`: speed to lead and SLA — minutes from capture to assignment, acceptance
and first contact (wall clock), the SLA clocks' business minutes as sla-monitor measured them,
breach rate, and leads no human ever touched."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.auth import require_api_key
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.domain.funnel import NONE_KEY
from reporting.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.sql import Spread, between, rate, spread_of, spread_sql

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_api_key)])
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
_WALL = (
    ("to_assignment", "assigned_at"),
    ("to_acceptance", "sal_at"),
    ("to_first_contact", "first_contact_at"),
)
_BUSINESS = (("accept", "accept_business_minutes"), ("first_contact", "contact_business_minutes"))


def _speed_sql(key: SpeedKey) -> str:
    spreads = [spread_sql(name, between("captured_at", at, 60.0), f"{at} IS NOT NULL") for name, at in _WALL]
    spreads += [spread_sql(f"business_{name}", column, f"{column} IS NOT NULL") for name, column in _BUSINESS]
    return f"""
SELECT {_KEYS[key]} AS key, count(*) AS leads, count(*) FILTER (WHERE assigned_at IS NOT NULL) AS assigned,
       count(*) FILTER (WHERE sla_breaches > 0) AS breached,
       count(*) FILTER (WHERE assigned_at IS NOT NULL AND first_step_at IS NULL) AS no_human_step,
       {", ".join(spreads)}
FROM lead_funnel
WHERE captured_at >= $1 AND captured_at < $2 AND ($3::text IS NOT NULL)
GROUP BY 1 ORDER BY count(*) DESC, 1
"""


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


def _row(record: Any) -> SpeedRow:
    return SpeedRow(
        key=record["key"],
        leads=record["leads"],
        assigned=record["assigned"],
        breached=record["breached"],
        breach_rate=rate(record["breached"], record["assigned"]),
        no_human_step=record["no_human_step"],
        wall_minutes={name: spread_of(record, name) for name, _ in _WALL},
        business_minutes={name: spread_of(record, f"business_{name}") for name, _ in _BUSINESS},
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
        rows = [_row(r) for r in await conn.fetch(_speed_sql(group_by), start, to, timezone)]
    if wants_csv(request, format_):
        spreads = [(f"wall_{n}", n, "wall_minutes") for n, _ in _WALL]
        spreads += [(f"business_{n}", n, "business_minutes") for n, _ in _BUSINESS]
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
