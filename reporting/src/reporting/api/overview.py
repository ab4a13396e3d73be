"""`GET /v1/reports/overview`: the console's first screen in one answer — the window's leads,
MQLs, SQLs, won deals and revenue against the window of the same length before it, and speed to
lead (capture → first contact of the MQLs: median, p90, bands). Counted here, in SQL, not in the
browser."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.api.formats import check_window
from reporting.db.overview import PeriodCounts, overview_counts
from reporting.db.sql import Spread
from reporting.db.targets import targets_between
from reporting.domain.targets import Measure, months_touched, next_month, window_targets

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])


class PeriodRead(BaseModel):
    start: datetime
    to: datetime
    leads: int
    mqls: int
    sqls: int
    won: int
    revenue: Decimal
    contacted: int = Field(description="MQLs whose first contact sales reported")
    to_first_contact_minutes: Spread = Field(description="Wall minutes from capture to first contact")
    speed_bands: dict[str, int] = Field(
        description="MQLs by wall minutes from capture to first contact: 0-5, 5-15, 15-60, 60+, not yet"
    )


class WindowTargets(BaseModel):
    leads: int | None
    mqls: int | None
    sqls: int | None
    won: int | None
    revenue: Decimal | None


def _targets(found: dict[Measure, Decimal | None]) -> WindowTargets:
    counts = {m: None if v is None else int(v) for m, v in found.items() if m != "revenue"}
    return WindowTargets(revenue=found["revenue"], **counts)


class OverviewRead(BaseModel):
    current: PeriodRead
    previous: PeriodRead = Field(description="The window of the same length just before")
    targets: WindowTargets = Field(
        description="What the monthly targets ask of this window (each month's target in proportion to "
        "the part of it the window covers); null: some month it touches has no target for the measure"
    )


def _period(counts: PeriodCounts, start: datetime, to: datetime) -> PeriodRead:
    return PeriodRead(
        start=start,
        to=to,
        leads=counts.leads,
        mqls=counts.mqls,
        sqls=counts.sqls,
        won=counts.won,
        revenue=counts.revenue,
        contacted=counts.contacted,
        to_first_contact_minutes=counts.to_first_contact,
        speed_bands=counts.bands,
    )


@router.get(
    "/overview",
    response_model=OverviewRead,
    summary="Leads, MQLs, SQLs, won and revenue of a window against the one before; speed to lead",
    description="Leads captured in [from, to) and what they became since (the cohort view, as the funnel).",
)
async def get_overview(
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Captured from (inclusive)")],
    to: Annotated[Instant, Query(description="Captured before (exclusive)")],
) -> OverviewRead:
    check_window(start, to)
    months = months_touched(start, to)
    async with deps.pool.acquire() as conn:
        found = await overview_counts(conn, start, to)
        saved = await targets_between(conn, months[0], next_month(months[-1])) if months else []
    before = start - (to - start)
    return OverviewRead(
        current=_period(found["current"], start, to),
        previous=_period(found["previous"], before, start),
        targets=_targets(window_targets([target for target, _, _ in saved], start, to)),
    )
