"""SLA reports: compliance per clock, rep and team; the marketing side against its MQL targets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps, parts_of
from sla_monitor.db import reports
from sla_monitor.domain.marketing import MarketingRow, marketing_rows
from sla_monitor.domain.periods import InvalidPeriod, current_month, parse_period
from sla_monitor.parts import SlaParts

router = APIRouter(prefix="/v1/sla", tags=["SLA reports"], dependencies=[Depends(require_role("viewer"))])


class ComplianceRow(BaseModel):
    clock: str
    level: str = Field(description="rep | team | all")
    team: str | None
    rep: str | None
    met: int
    breached: int
    met_share: float | None
    median_business_minutes: float | None
    p90_business_minutes: float | None


class ComplianceRead(BaseModel):
    start: datetime = Field(serialization_alias="from")
    to: datetime
    rows: list[ComplianceRow]


@router.get(
    "/compliance",
    response_model=ComplianceRead,
    response_model_by_alias=True,
    summary="SLA compliance: met and breached, median and p90 business minutes, per clock, rep and team",
)
async def compliance(
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Clocks started from (inclusive)")],
    to: Annotated[Instant, Query(description="Clocks started before (exclusive)")],
    team: Annotated[str | None, Query(max_length=200)] = None,
    rep: Annotated[str | None, Query(max_length=200)] = None,
) -> ComplianceRead:
    if start >= to:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="`from` must be before `to`")
    async with deps.pool.acquire() as conn:
        found = await reports.compliance_counts(conn, start, to, team, rep)
    rows = []
    for row in found:
        level = "all" if row.all_teams else "team" if row.all_reps else "rep"
        closed = row.met + row.breached
        rows.append(
            ComplianceRow(
                clock=row.clock,
                level=level,
                team=None if level == "all" else row.team,
                rep=row.owner if level == "rep" else None,
                met=row.met,
                breached=row.breached,
                met_share=round(row.met / closed, 4) if closed else None,
                median_business_minutes=_minutes(row.median),
                p90_business_minutes=_minutes(row.p90),
            )
        )
    return ComplianceRead(start=start, to=to, rows=rows)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


class TargetRead(BaseModel):
    mqls: int
    min_accepted_share: float | None
    max_rejected_share: float | None


class MarketingRowRead(BaseModel):
    team: str | None
    region: str | None
    target: TargetRead | None = Field(description="null: the team has no target for this kind of period")
    delivered: int = Field(description="MQLs delivered to sales in the period")
    accepted: int
    rejected: int
    awaiting: int = Field(description="No verdict from sales yet")
    accepted_share: float | None
    rejected_share: float | None
    rejected_by_reason: dict[str, int]
    volume_met: bool | None
    quality_met: bool | None


class MarketingRead(BaseModel):
    period: str
    kind: str
    start: datetime = Field(serialization_alias="from")
    to: datetime
    sla_version: int
    rows: list[MarketingRowRead]


def _read(row: MarketingRow) -> MarketingRowRead:
    target = row.target
    return MarketingRowRead(
        team=row.team,
        region=row.region,
        target=None
        if target is None
        else TargetRead(
            mqls=target.mqls,
            min_accepted_share=target.min_accepted_share,
            max_rejected_share=target.max_rejected_share,
        ),
        delivered=row.delivered,
        accepted=row.accepted,
        rejected=row.rejected,
        awaiting=row.awaiting,
        accepted_share=None if row.accepted_share is None else round(row.accepted_share, 4),
        rejected_share=None if row.rejected_share is None else round(row.rejected_share, 4),
        rejected_by_reason=dict(sorted(row.rejected_by_reason.items())),
        volume_met=row.volume_met,
        quality_met=row.quality_met,
    )


@router.get(
    "/marketing",
    response_model=MarketingRead,
    response_model_by_alias=True,
    summary="MQLs delivered in a period, accepted and rejected (by reason) against the policy's targets",
)
async def marketing(
    deps: Annotated[Deps, Depends(get_deps)],
    period: Annotated[
        str | None, Query(max_length=10, description="2026-11 (month), 2026-W47 (ISO week), 2026-Q4")
    ] = None,
) -> MarketingRead:
    try:
        chosen = parse_period(period or current_month(deps.clock()))
    except InvalidPeriod as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(error)) from None
    parts = parts_of(deps, SlaParts)
    async with deps.pool.acquire() as conn:
        version, policy = await parts.policies.active(conn)
        counts = await reports.verdict_counts(conn, chosen.start, chosen.end)
    rows = marketing_rows(counts, policy.targets, chosen.kind)
    return MarketingRead(
        period=chosen.name,
        kind=chosen.kind,
        start=chosen.start,
        to=chosen.end,
        sla_version=version,
        rows=[_read(row) for row in rows],
    )
