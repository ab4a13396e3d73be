"""`GET /v1/leads/{lead_id}/deliveries`: what reached the sales tools of one lead's events — every
subscription's deliveries, oldest first, with where each went and how it went. Admin scope, like
the subscriptions it lists (a CRM's last error may quote the person)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from leadkit.service import Deps, get_deps
from sla_monitor.delivery.api.models import DeliveryRead
from sla_monitor.delivery.db import deliveries
from sla_monitor.keys import require_admin

router = APIRouter(prefix="/v1", tags=["subscriptions"], dependencies=[Depends(require_admin)])


class LeadDeliveryRead(DeliveryRead):
    subscription_id: UUID
    kind: str = Field(description="webhook | slack | hubspot | salesforce")
    description: str


@router.get(
    "/leads/{lead_id}/deliveries",
    response_model=list[LeadDeliveryRead],
    summary="One lead's deliveries to every subscription, oldest first (empty when none)",
)
async def lead_deliveries(
    lead_id: UUID,
    deps: Annotated[Deps, Depends(get_deps)],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[LeadDeliveryRead]:
    async with deps.pool.acquire() as conn:
        found = await deliveries.deliveries_of_lead(conn, lead_id, limit)
    return [LeadDeliveryRead.model_validate(delivery, from_attributes=True) for delivery in found]
