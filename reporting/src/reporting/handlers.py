"""reporting's projections. Events of one lead arrive on different topics in any order, so each
handler upserts only the columns its event knows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import case, func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lead_schemas import (
    LeadCaptured,
    LeadErased,
    LeadProgressed,
    LeadQualified,
    LeadRecycled,
    LeadScored,
    LeadSlaBreached,
)
from leadkit.consumer import Handler, HandlerContext
from reporting.db.tables import LeadFunnel
from reporting.domain.funnel import stages_reached

T = LeadFunnel.__table__


async def _upsert(
    session: AsyncSession, lead_id: UUID, values: dict[str, Any], update: dict[str, Any]
) -> None:
    stmt = insert(LeadFunnel).values(lead_id=lead_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[LeadFunnel.lead_id], set_=update))


async def project_captured(event: LeadCaptured, ctx: HandlerContext) -> None:
    touch = event.data.touch
    first = {
        "captured_at": touch.occurred_at,
        "source": touch.source,
        "medium": touch.medium,
        "campaign": touch.campaign,
        "content": touch.content,
    }
    stmt = insert(LeadFunnel).values(lead_id=event.lead_id, touches=1, **first)
    earlier = or_(T.c.captured_at.is_(None), stmt.excluded.captured_at < T.c.captured_at)
    # keep the earliest touch as the first touch, whichever capture is projected first
    await ctx.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[LeadFunnel.lead_id],
            set_={
                **{name: case((earlier, stmt.excluded[name]), else_=T.c[name]) for name in first},
                "touches": T.c.touches + 1,
            },
        )
    )


async def project_scored(event: LeadScored, ctx: HandlerContext) -> None:
    values = {"score": event.data.score, "grade": event.data.grade}
    await _upsert(ctx.session, event.lead_id, values, values)


async def project_qualified(event: LeadQualified, ctx: HandlerContext) -> None:
    values = {"is_mql": True, "owner": event.data.owner}
    await _upsert(
        ctx.session,
        event.lead_id,
        {**values, "mql_at": event.occurred_at},
        {**values, "mql_at": func.coalesce(T.c.mql_at, event.occurred_at)},
    )


async def project_progressed(event: LeadProgressed, ctx: HandlerContext) -> None:
    flags: dict[str, Any] = dict.fromkeys(stages_reached(event.data.stage), True)
    values = dict(flags)
    update = dict(flags)
    if event.data.stage == "won" and event.data.amount is not None:
        # A deal is won once: a repeated report (a sales tool's retry, a corrected amount)
        # replaces the amount instead of adding to it.
        values["revenue"] = event.data.amount
        update["revenue"] = event.data.amount
    if not values:
        return
    await _upsert(ctx.session, event.lead_id, values, update)


async def project_recycled(event: LeadRecycled, ctx: HandlerContext) -> None:
    values = {"is_recycled": True, "recycle_reason": event.data.reason}
    await _upsert(ctx.session, event.lead_id, values, values)


async def project_sla_breached(event: LeadSlaBreached, ctx: HandlerContext) -> None:
    await _upsert(ctx.session, event.lead_id, {"sla_breaches": 1}, {"sla_breaches": T.c.sla_breaches + 1})


async def project_erased(event: LeadErased, ctx: HandlerContext) -> None:
    # reporting holds no personal data; the flag lets reports exclude nothing yet count honestly
    await _upsert(ctx.session, event.lead_id, {"erased": True}, {"erased": True})


HANDLERS: dict[str, Handler] = {
    LeadCaptured.topic: project_captured,
    LeadScored.topic: project_scored,
    LeadQualified.topic: project_qualified,
    LeadProgressed.topic: project_progressed,
    LeadRecycled.topic: project_recycled,
    LeadSlaBreached.topic: project_sla_breached,
    LeadErased.topic: project_erased,
}
