"""reporting's HTTP API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from leadkit.auth import require_api_key
from leadkit.service import Deps, get_deps
from reporting.domain.funnel import GroupBy
from reporting.queries import FunnelRow, funnel

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_api_key)])


class FunnelReport(BaseModel):
    group_by: GroupBy
    rows: list[FunnelRow]


@router.get("/funnel", response_model=FunnelReport, summary="Lead → MQL → SAL → SQL → opportunity → won")
async def get_funnel(
    deps: Annotated[Deps, Depends(get_deps)],
    group_by: Annotated[GroupBy, Query(description="The first touch's field to group by")] = "source",
) -> FunnelReport:
    async with deps.sessions() as session:
        return FunnelReport(group_by=group_by, rows=await funnel(session, group_by=group_by))
