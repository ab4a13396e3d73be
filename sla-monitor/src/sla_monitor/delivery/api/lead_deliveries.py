"""`GET /v1/leads/{lead_id}/deliveries`: what reached the sales tools of one lead's events — every
subscription's deliveries, oldest first, with where each went and how it went. A sales tool's admin key or any
console role; a CRM's last error may quote the person, so a console key without personal data
sees that it failed, not what the CRM said."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from leadkit.service import Deps, get_deps
from sla_monitor.delivery.api.models import DeliveryRead
from sla_monitor.delivery.db import deliveries
from sla_monitor.keys import SlaCaller, require_deliveries_read

router = APIRouter(prefix="/v1", tags=["subscriptions"], dependencies=[Depends(require_deliveries_read)])
HIDDEN_ERROR = "hidden: the tool's answer may quote personal data, which this key may not read"


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
    caller: Annotated[SlaCaller, Depends(require_deliveries_read)],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[LeadDeliveryRead]:
    async with deps.pool.acquire() as conn:
        found = await deliveries.deliveries_of_lead(conn, lead_id, limit)
    read = [LeadDeliveryRead.model_validate(delivery, from_attributes=True) for delivery in found]
    if caller.personal_data:
        return read
    return [r.model_copy(update={"last_error": None if r.last_error is None else HIDDEN_ERROR}) for r in read]
