"""`GET /v1/reports/latest-leads`: the overview's live feed — the latest leads captured, newest
first, each with how far it got (captured → scored → routed → accepted). The console asks again
every few seconds; `since` keeps an answer to what is new."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from reporting.db.latest import LatestLead, latest_leads
from reporting.domain.feed import FeedStage, feed_stage

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require_role("viewer"))])


class FeedLead(BaseModel):
    lead_id: str
    captured_at: datetime
    stage: FeedStage = Field(
        description="The furthest of captured, scored, routed, accepted; or rejected, recycled"
    )
    source: str | None
    campaign: str | None
    channel: str | None
    score: int | None
    grade: str | None
    mql: bool
    owner: str | None
    team: str | None
    routed_at: datetime | None
    accepted_at: datetime | None


class Feed(BaseModel):
    now: datetime = Field(description="reporting's clock when it answered")
    leads: list[FeedLead]


def _fed(lead: LatestLead) -> FeedLead:
    return FeedLead(
        lead_id=str(lead.lead_id),
        captured_at=lead.captured_at,
        stage=feed_stage(
            score=lead.score,
            assigned_at=lead.assigned_at,
            sal_at=lead.sal_at,
            rejected=lead.is_rejected,
            recycled=lead.is_recycled,
        ),
        source=lead.source,
        campaign=lead.campaign,
        channel=lead.channel,
        score=lead.score,
        grade=lead.grade,
        mql=lead.is_mql,
        owner=lead.owner,
        team=lead.team,
        routed_at=lead.assigned_at,
        accepted_at=lead.sal_at,
    )


@router.get("/latest-leads", response_model=Feed, summary="The latest leads captured and how far each got")
async def get_latest_leads(
    deps: Annotated[Deps, Depends(get_deps)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    since: Annotated[Instant | None, Query(description="Only leads captured from then on")] = None,
) -> Feed:
    async with deps.pool.acquire() as conn:
        found = await latest_leads(conn, limit=limit, since=since)
    return Feed(now=deps.clock(), leads=[_fed(lead) for lead in found])
