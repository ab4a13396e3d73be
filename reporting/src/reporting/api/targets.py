"""Monthly targets — leads, MQLs, SQLs, won deals, revenue — which the overview measures each
window against (`reporting.domain.targets` prorates them). Saving one is an admin's; who saved
it and when is kept and answered."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from leadkit.access import Caller, require_role
from leadkit.service import Deps, get_deps
from reporting.db import targets
from reporting.domain.targets import MONTH, parse_month

router = APIRouter(prefix="/v1/targets", tags=["targets"], dependencies=[Depends(require_role("viewer"))])
Count = Annotated[int | None, Field(default=None, ge=0, le=1_000_000_000)]
MonthText = Annotated[str, Path(pattern=MONTH.pattern, description="YYYY-MM")]


class TargetWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leads: Count = None
    mqls: Count = None
    sqls: Count = None
    won: Count = None
    revenue: Annotated[Decimal | None, Field(ge=0, le=Decimal("1e13"), max_digits=16, decimal_places=2)] = (
        None
    )


class TargetRead(TargetWrite):
    month: str
    updated_at: datetime
    updated_by: str


def month_of(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError as error:
        raise HTTPException(422, detail=str(error)) from error


def _read(month: date, values: dict[str, Decimal], at: datetime, by: str) -> TargetRead:
    counts = {m: int(v) for m, v in values.items() if m != "revenue"}
    return TargetRead(
        month=f"{month:%Y-%m}", updated_at=at, updated_by=by, revenue=values.get("revenue"), **counts
    )


@router.put(
    "/{month}",
    response_model=TargetRead,
    summary="Save a month's targets (a measure left out has none)",
)
async def put_target(
    month: MonthText,
    body: TargetWrite,
    deps: Annotated[Deps, Depends(get_deps)],
    caller: Annotated[Caller, Depends(require_role("admin"))],
) -> TargetRead:
    first = month_of(month)
    now = deps.clock()
    async with deps.pool.acquire() as conn:
        await targets.save_target(conn, first, body.model_dump(), at=now, by=caller.name)
    values = {k: Decimal(v) for k, v in body.model_dump().items() if v is not None}
    return _read(first, values, now, caller.name)


@router.get("", response_model=list[TargetRead], summary="The months that have targets, oldest first")
async def list_targets(
    deps: Annotated[Deps, Depends(get_deps)],
    start: Annotated[
        str, Query(alias="from", pattern=MONTH.pattern, description="First month, YYYY-MM")
    ] = "2000-01",
    through: Annotated[str, Query(pattern=MONTH.pattern, description="Last month, YYYY-MM")] = "2999-12",
) -> list[TargetRead]:
    first, last = month_of(start), month_of(through)
    after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    async with deps.pool.acquire() as conn:
        found = await targets.targets_between(conn, first, after)
    return [_read(t.month, {str(k): v for k, v in t.values.items()}, at, by) for t, at, by in found]


@router.delete(
    "/{month}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(require_role("admin"))],
    summary="Remove a month's targets",
)
async def delete_target(month: MonthText, deps: Annotated[Deps, Depends(get_deps)]) -> None:
    async with deps.pool.acquire() as conn:
        if not await targets.delete_target(conn, month_of(month)):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no targets for {month}")
