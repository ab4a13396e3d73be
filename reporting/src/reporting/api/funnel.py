"""reporting's HTTP API: the funnel with rates and velocity (attribution: attribution_api.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.api.formats import FormatParam, check_window, csv_response, wants_csv
from reporting.db.funnel import FunnelRow, funnel
from reporting.domain.funnel import GROUP_KEYS, STEPS, GroupBy

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
_FILTERS = [key for key in GROUP_KEYS if key not in ("day", "week", "month")]


class FunnelReport(BaseModel):
    group_by: GroupBy
    start: datetime | None = Field(serialization_alias="from")
    to: datetime | None
    filters: dict[str, str]
    rows: list[FunnelRow]


@router.get(
    "/funnel",
    response_model=FunnelReport,
    response_model_by_alias=True,
    summary="Lead → MQL → SAL → SQL → opportunity → won: counts, rates, velocity, by any group key",
    description="Leads captured in [from, to), grouped by a first-touch field, rep, team, grade or the "
    "day/week/month of capture (the cohort view: leads captured in a period and what they became since). "
    f"Any of {', '.join(_FILTERS)} may also be given as a filter, e.g. `source=google&team=emea`.",
)
async def get_funnel(
    request: Request,
    deps: Annotated[Deps, Depends(get_deps)],
    group_by: Annotated[GroupBy, Query(description="What a row is")] = "source",
    start: Annotated[Instant | None, Query(alias="from", description="Captured from (inclusive)")] = None,
    to: Annotated[Instant | None, Query(description="Captured before (exclusive)")] = None,
    format_: FormatParam = None,
) -> FunnelReport | Response:
    check_window(start, to)
    where = {key: value for key in _FILTERS if (value := request.query_params.get(key)) is not None}
    async with deps.pool.acquire() as conn:
        rows = await funnel(conn, group_by=group_by, start=start or EPOCH, end=to or FOREVER, where=where)
    if wants_csv(request, format_):
        velocity = [f"{name}_{kind}_hours" for name, _, _ in STEPS for kind in ("median", "p90")]
        rates = list(rows[0].rates) if rows else []
        counts = [
            "leads",
            "mqls",
            "sals",
            "sqls",
            "opportunities",
            "won",
            "lost",
            "rejected",
            "recycled",
            "revenue",
        ]
        return csv_response(
            f"funnel-{group_by}",
            ["key", *counts, *rates, *velocity],
            [
                [row.key, *(getattr(row, c) for c in counts), *(row.rates[r] for r in rates)]
                + [
                    getattr(row.velocity_hours[name], "median" if kind == "median" else "p90")
                    for name, _, _ in STEPS
                    for kind in ("median", "p90")
                ]
                for row in rows
            ],
        )
    return FunnelReport(group_by=group_by, start=start, to=to, filters=where, rows=rows)
