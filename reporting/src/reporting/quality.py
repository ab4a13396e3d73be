"""`GET /v1/reports/quality`: lead quality fed back to marketing — sales' rejection and loss
reasons and the recycles, by source, campaign, content, grade or score band; and how well scoring
predicts: MQL → SQL and SQL → won per grade and score band."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.auth import require_api_key
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.domain.funnel import NONE_KEY
from reporting.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.sql import rate

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_api_key)])
QualityKey = Literal["source", "campaign", "content", "grade", "score_band"]
QUALITY_KEYS: tuple[QualityKey, ...] = get_args(QualityKey)
_KEYS = {
    "source": f"coalesce(source, '{NONE_KEY}')",
    "campaign": f"coalesce(campaign, '{NONE_KEY}')",
    "content": f"coalesce(content, '{NONE_KEY}')",
    "grade": f"coalesce(grade, '{NONE_KEY}')",
    # tens of the lead's latest score: 0-9, 10-19, … 90-99, 100+ (a lead never scored: (none))
    "score_band": (
        f"CASE WHEN score IS NULL THEN '{NONE_KEY}' WHEN score >= 100 THEN '100+' "
        "ELSE (score / 10 * 10)::text || '-' || (score / 10 * 10 + 9)::text END"
    ),
}


def _quality_sql(key: QualityKey) -> str:
    return f"""
WITH grouped AS (
    SELECT {_KEYS[key]} AS key, count(*) AS leads, count(*) FILTER (WHERE is_mql) AS mqls,
           count(*) FILTER (WHERE is_sql) AS sqls, count(*) FILTER (WHERE is_won) AS won,
           count(*) FILTER (WHERE is_mql AND is_sql) AS mqls_to_sql,
           count(*) FILTER (WHERE is_rejected) AS rejected, count(*) FILTER (WHERE is_lost) AS lost,
           count(*) FILTER (WHERE is_recycled) AS recycled
    FROM lead_funnel WHERE captured_at >= $1 AND captured_at < $2
    GROUP BY 1
),
reasons AS (
    SELECT {_KEYS[key]} AS key, kind, coalesce(reason, '{NONE_KEY}') AS reason, count(*) AS n
    FROM lead_funnel,
         LATERAL (VALUES ('rejected', rejected_reason, is_rejected), ('lost', lost_reason, is_lost),
                         ('recycled', recycle_reason, is_recycled)) AS v(kind, reason, flagged)
    WHERE captured_at >= $1 AND captured_at < $2 AND flagged
    GROUP BY 1, 2, 3
)
SELECT g.*, (SELECT coalesce(jsonb_object_agg(kind || ':' || reason, n), '{{}}') FROM reasons r
             WHERE r.key = g.key)::text AS reasons
FROM grouped g ORDER BY g.leads DESC, g.key
"""


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
    mql_to_sql: float | None = Field(description="Of the MQLs, the share that became SQLs")
    sql_to_won: float | None


class QualityReport(BaseModel):
    group_by: QualityKey
    start: datetime = Field(serialization_alias="from")
    to: datetime
    rows: list[QualityRow]


def _row(record: Any) -> QualityRow:
    found: dict[str, dict[str, int]] = {"rejected": {}, "lost": {}, "recycled": {}}
    for label, count in json.loads(record["reasons"]).items():
        kind, reason = label.split(":", 1)
        found[kind][reason] = count
    return QualityRow(
        key=record["key"],
        leads=record["leads"],
        rejected=record["rejected"],
        rejected_by_reason=dict(sorted(found["rejected"].items())),
        lost=record["lost"],
        lost_by_reason=dict(sorted(found["lost"].items())),
        recycled=record["recycled"],
        recycled_by_reason=dict(sorted(found["recycled"].items())),
        mqls=record["mqls"],
        sqls=record["sqls"],
        won=record["won"],
        mql_to_sql=rate(record["mqls_to_sql"], record["mqls"]),
        sql_to_won=rate(record["won"], record["sqls"]),
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
        rows = [_row(r) for r in await conn.fetch(_quality_sql(group_by), start, to)]
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
