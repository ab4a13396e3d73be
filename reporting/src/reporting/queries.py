"""Read-side queries over the projection."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from reporting.db.tables import LeadFunnel
from reporting.domain.funnel import NONE_KEY, GroupBy


class FunnelRow(BaseModel):
    key: str
    leads: int
    mqls: int
    sals: int
    sqls: int
    opportunities: int
    won: int
    revenue: Decimal
    recycled: int


async def funnel(session: AsyncSession, *, group_by: GroupBy) -> list[FunnelRow]:
    key = func.coalesce(getattr(LeadFunnel, group_by), NONE_KEY).label("key")

    def count(flag: InstrumentedAttribute[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(cast(flag, Integer)), 0)

    stmt = (
        select(
            key,
            func.count().label("leads"),
            count(LeadFunnel.is_mql).label("mqls"),
            count(LeadFunnel.is_sal).label("sals"),
            count(LeadFunnel.is_sql).label("sqls"),
            count(LeadFunnel.is_opportunity).label("opportunities"),
            count(LeadFunnel.is_won).label("won"),
            func.coalesce(func.sum(LeadFunnel.revenue), 0).label("revenue"),
            count(LeadFunnel.is_recycled).label("recycled"),
        )
        # a lead reporting has only heard of from later topics is counted once its capture arrives
        .where(LeadFunnel.captured_at.is_not(None))
        .group_by(key)
        .order_by(func.count().desc(), key)
    )
    return [FunnelRow.model_validate(row._asdict()) for row in (await session.execute(stmt)).all()]
