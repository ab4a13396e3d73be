"""`GET /v1/reports/goals`: what a revenue target needs, from the funnel's observed rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, csv_response, wants_csv
from reporting.db.funnel import funnel, open_opportunity_count
from reporting.domain.goals import MONTHS, CannotPlan, Needs, Observed, needs, plan_inputs

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])
Rate = Annotated[float | None, Query(gt=0, le=1)]


class NeedsRead(BaseModel):
    leads: int
    mqls: int
    sqls: int
    opportunities: int
    won: int


class SourceNeeds(NeedsRead):
    source: str
    share_of_leads: float


class GoalsReport(BaseModel):
    revenue_target: Decimal
    period: str
    lookback_days: int
    rates: dict[str, float] = Field(description="Observed over the lookback window, or as overridden")
    average_deal: Decimal
    per_period: NeedsRead
    per_month: NeedsRead
    per_source_per_month: list[SourceNeeds] = Field(
        description="The month's leads split by each source's share of the leads in the lookback window"
    )
    open_opportunities: int
    pipeline_value: Decimal = Field(description="Open opportunities times the average deal")
    coverage: float = Field(description="pipeline_value / revenue_target")


def _read(found: Needs) -> NeedsRead:
    return NeedsRead(
        leads=found.leads, mqls=found.mqls, sqls=found.sqls, opportunities=found.opportunities, won=found.won
    )


def _source_needs(month: Needs, source: str, leads: int, total: int) -> SourceNeeds:
    """A source's part of the month's needs: its share of the leads, applied to every count."""
    share = leads / total

    def part(value: int) -> int:
        return round(value * share)

    return SourceNeeds(
        source=source,
        share_of_leads=round(share, 4),
        leads=part(month.leads),
        mqls=part(month.mqls),
        sqls=part(month.sqls),
        opportunities=part(month.opportunities),
        won=part(month.won),
    )


@router.get(
    "/goals",
    response_model=GoalsReport,
    summary="How many leads, MQLs, SQLs and opportunities a revenue target needs; pipeline coverage",
)
async def get_goals(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    revenue_target: Annotated[Decimal, Query(gt=0, max_digits=16, decimal_places=2)],
    period: Annotated[Literal["month", "quarter", "year"], Query()] = "month",
    lookback_days: Annotated[int, Query(ge=1, le=3660, description="The window rates are observed in")] = 365,
    lead_to_mql: Rate = None,
    mql_to_sql: Rate = None,
    sql_to_opportunity: Rate = None,
    opportunity_to_won: Rate = None,
    average_deal: Annotated[Decimal | None, Query(gt=0, max_digits=16, decimal_places=2)] = None,
    format_: FormatParam = None,
) -> GoalsReport | Response:
    now = deps.clock()
    async with deps.pool.acquire() as conn:
        # the lookback's funnel by source: observed rates, deal size and each source's share
        by_source = await funnel(
            conn, group_by="source", start=now - timedelta(days=lookback_days), end=now, where={}
        )
        open_opportunities = await open_opportunity_count(conn)
    observed = Observed(
        leads=sum(r.leads for r in by_source),
        mqls=sum(r.mqls for r in by_source),
        sqls=sum(r.sqls for r in by_source),
        opportunities=sum(r.opportunities for r in by_source),
        won=sum(r.won for r in by_source),
        revenue=sum((r.revenue for r in by_source), Decimal(0)),
        open_opportunities=open_opportunities,
    )
    overrides = {
        "lead_to_mql": lead_to_mql,
        "mql_to_sql": mql_to_sql,
        "sql_to_opportunity": sql_to_opportunity,
        "opportunity_to_won": opportunity_to_won,
    }
    try:
        rates, deal = plan_inputs(observed, overrides, average_deal)
        total = needs(revenue_target, rates, deal)
    except CannotPlan as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(error)) from None
    month = total.per_month(MONTHS[period])
    sources = [_source_needs(month, r.key, r.leads, observed.leads) for r in by_source]
    sources.sort(key=lambda s: (-s.share_of_leads, s.source))
    pipeline = (deal * open_opportunities).quantize(Decimal("0.01"))
    report = GoalsReport(
        revenue_target=revenue_target,
        period=period,
        lookback_days=lookback_days,
        rates={k: round(v, 4) for k, v in rates.items()},
        average_deal=deal,
        per_period=_read(total),
        per_month=_read(month),
        per_source_per_month=sources,
        open_opportunities=open_opportunities,
        pipeline_value=pipeline,
        coverage=round(float(pipeline / revenue_target), 4),
    )
    if wants_csv(request, format_):
        header = ["scope", "leads", "mqls", "sqls", "opportunities", "won"]
        lines = [
            ["period", *_read(total).model_dump().values()],
            ["month", *_read(month).model_dump().values()],
        ]
        lines += [[f"month:{s.source}", s.leads, s.mqls, s.sqls, s.opportunities, s.won] for s in sources]
        return csv_response(f"goals-{period}", header, lines)
    return report
