"""HTTP models of sla-monitor's API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lead_schemas import Stage


class ProgressCreate(BaseModel):
    """A step sales took with the lead, reported by a sales tool."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"stage": "won", "amount": "12500.00", "currency": "EUR"}},
    )

    stage: Stage
    amount: Annotated[Decimal | None, Field(default=None, ge=0, max_digits=14, decimal_places=2)]
    currency: Annotated[str | None, Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217")]
    reason: Annotated[str | None, Field(default=None, max_length=500)]

    @model_validator(mode="after")
    def _won_needs_an_amount(self) -> ProgressCreate:
        if self.stage == "won" and self.amount is None:
            raise ValueError("amount is required when stage is won")
        return self


class ProgressAccepted(BaseModel):
    lead_id: UUID
    event_id: UUID
    stage: Stage
    recycled: bool


class TimerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    policy: str
    owner: str
    started_at: datetime
    due_at: datetime
    status: str
    escalation: str
    closed_at: datetime | None
    closed_reason: str | None


class LeadSlaRead(BaseModel):
    lead_id: UUID
    owner: str
    stage: str | None
    timers: list[TimerRead]
