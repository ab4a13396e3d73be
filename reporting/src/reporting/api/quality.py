"""`GET /v1/reports/quality`: lead quality fed back to marketing — sales' rejection and loss
reasons and the recycles, by source, campaign, content, grade or score band; and how well scoring
predicts: MQL → SQL and SQL → won per grade and score band."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.db.quality import QualityCounts, QualityKey, quality_counts
from reporting.db.sql import rate

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])


class QualityRow(BaseModel):
    key: str
    leads: int
    rejected: int
    rejected_by_reason: dict[str, int]
    lost: int
    lost_by_reason: dict[str, int]
    recycled: int
    recycled_by_reason: dict[str, int] = Field(description="rejected_by_sales, sla_exhausted, lost_not_now")
    mqls: int
    sqls: int
    won: int
    lead_to_mql: float | None = Field(default=None, description="Of the leads, the share that became MQLs")
    mql_to_sql: float | None = Field(description="Of the MQLs, the share that became SQLs")
    sql_to_won: float | None


class QualityReport(BaseModel):
    group_by: QualityKey
    start: datetime = Field(serialization_alias="from")
    to: datetime
    rows: list[QualityRow]


def _row(counts: QualityCounts) -> QualityRow:
    return QualityRow(
        key=counts.key,
        leads=counts.leads,
        rejected=counts.rejected,
        rejected_by_reason=counts.reasons["rejected"],
        lost=counts.lost,
        lost_by_reason=counts.reasons["lost"],
        recycled=counts.recycled,
        recycled_by_reason=counts.reasons["recycled"],
        mqls=counts.mqls,
        sqls=counts.sqls,
        won=counts.won,
        lead_to_mql=rate(counts.mqls, counts.leads),
        mql_to_sql=rate(counts.mqls_to_sql, counts.mqls),
        sql_to_won=rate(counts.won, counts.sqls),
    )


@router.get(
    "/quality",
    response_model=QualityReport,
    response_model_by_alias=True,
    summary="Lead quality for marketing: rejection, loss and recycle reasons; MQL→SQL and SQL→won",
)
async def get_quality(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[Instant, Query(alias="from", description="Captured from (inclusive)")],
    to: Annotated[Instant, Query(description="Captured before (exclusive)")],
    group_by: Annotated[QualityKey, Query()] = "source",
    format_: FormatParam = None,
) -> QualityReport | Response:
    check_window(start, to)
    async with deps.pool.acquire() as conn:
        rows = [_row(counts) for counts in await quality_counts(conn, group_by, start, to)]
    if wants_csv(request, format_):
        # one line per key and reason: the shape a spreadsheet pivots
        return csv_response(
            f"quality-{group_by}",
            ["key", "leads", "mqls", "sqls", "won", "mql_to_sql", "sql_to_won", "kind", "reason", "count"],
            [
                [r.key, r.leads, r.mqls, r.sqls, r.won, r.mql_to_sql, r.sql_to_won, kind, reason, count]
                for r in rows
                for kind, reasons in (
                    ("rejected", r.rejected_by_reason),
                    ("lost", r.lost_by_reason),
                    ("recycled", r.recycled_by_reason),
                )
                for reason, count in (reasons.items() or [(None, None)])
            ],
        )
    return QualityReport(group_by=group_by, start=start, to=to, rows=rows)
