"""HTTP models of sla-monitor's API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from lead_schemas import Stage
from lead_schemas.events import Channel
from sla_monitor.domain.stages import Step, reason_problem

# a sales tool's clock may run a little ahead; beyond this a step in the future is a mistake
FUTURE_SKEW = timedelta(minutes=5)


class ProgressCreate(BaseModel):
    """A step sales took with the lead, reported by a sales tool."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"stage": "won", "amount": "12500.00", "currency": "EUR"}},
    )

    stage: Stage
    amount: Annotated[Decimal | None, Field(default=None, ge=0, max_digits=14, decimal_places=2)]
    currency: Annotated[str | None, Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217")]
    reason: Annotated[
        str | None,
        Field(
            default=None, max_length=50, description="Rejected and lost: a reason code (README, Sales stages)"
        ),
    ]
    detail: Annotated[str | None, Field(default=None, max_length=2000, description="Free text")]
    channel: Channel | None = Field(default=None, description="For contacted: call, email, meeting, social")
    force: bool = Field(default=False, description="Record a step against the stage order; needs `detail`")
    occurred_at: AwareDatetime | None = Field(default=None, description="When it happened, if not now")

    @model_validator(mode="after")
    def _consistent(self) -> ProgressCreate:
        if self.stage == "won" and self.amount is None:
            raise ValueError("amount is required when stage is won")
        problem = reason_problem(self.stage, self.reason)
        if problem is not None:
            raise ValueError(problem)
        if self.channel is not None and self.stage != "contacted":
            raise ValueError("channel belongs to a contacted step")
        if self.force and not (self.detail and self.detail.strip()):
            raise ValueError("force needs a detail saying why")
        if self.occurred_at is not None and self.occurred_at > datetime.now(UTC) + FUTURE_SKEW:
            raise ValueError("occurred_at is in the future")
        return self

    def step(self) -> Step:
        return Step(
            stage=self.stage,
            reason=self.reason,
            detail=self.detail,
            channel=self.channel,
            amount=self.amount,
            currency=self.currency,
            force=self.force,
            occurred_at=self.occurred_at,
        )


class ProgressAccepted(BaseModel):
    lead_id: UUID
    event_id: UUID
    stage: Stage
    recycled: bool


class StepRefused(BaseModel):
    detail: str
    current: str | None
    allowed: list[str]


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
    calendar: str | None = Field(
        default=None, description="The team calendar it ran on; null: around the clock"
    )


class LeadSlaRead(BaseModel):
    lead_id: UUID
    owner: str | None = Field(description="null while the lead waits in a routing queue")
    stage: str | None
    timers: list[TimerRead]
