"""HTTP models of sla-monitor's API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lead_schemas import Stage
from lead_schemas.events import Channel
from leadkit.bounds import Currency, Instant
from sla_monitor.db.tables import SlaTimer
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
    currency: Currency | None = None
    reason: Annotated[
        str | None,
        Field(default=None, max_length=50, description="Rejected and lost: a reason code (docs/progress.md)"),
    ]
    detail: Annotated[str | None, Field(default=None, max_length=2000, description="Free text")]
    channel: Channel | None = Field(default=None, description="For contacted: call, email, meeting, social")
    force: bool = Field(default=False, description="Record a step against the stage order; needs `detail`")
    occurred_at: Instant | None = Field(default=None, description="When it happened, if not now")

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
    forced: bool = False


class StepRefused(BaseModel):
    detail: str
    current: str | None
    allowed: list[str]


class ClockRead(BaseModel):
    """One SLA clock of a lead: a speed-to-lead fact once it closed."""

    clock: str = Field(description="accept | first_contact | follow_up | disposition")
    tier: str | None
    sla_version: int | None
    owner: str = Field(description="The rep the clock ran for")
    team: str | None
    calendar: str | None = Field(description="Whose business hours it ran on; null: around the clock")
    started_at: datetime
    due_at: datetime
    target_minutes: float | None = Field(description="In business minutes")
    status: str = Field(description="pending | met | breached | cancelled")
    met_in_time: bool | None = Field(description="Met by its due time; null while running or when cancelled")
    business_minutes: float | None = Field(description="Taken, start to met (or the target, when breached)")
    met_by: str | None
    closed_at: datetime | None
    closed_reason: str | None
    escalation: str = Field(description="What its breach does (did): reassign, notify or recycle")
    escalation_step: int
    warn_at: datetime | None = Field(description="When the owner is (was) warned; null: no warning")
    warned: bool
    attempts: int | None = Field(description="follow_up: contacts so far")
    required_attempts: int | None
    acknowledged_at: datetime | None = Field(default=None, description="A breach acknowledged: when")
    acknowledged_by: str | None = Field(default=None, description="Who acknowledged it (a key's name)")
    acknowledgement: str | None = Field(default=None, description="Their note")


def clock_reads(timers: Sequence[SlaTimer]) -> list[ClockRead]:
    """Clocks with their warnings folded in (a warning is its own timer row)."""
    warnings = {(t.cause_event_id, t.clock): t for t in timers if t.escalation == "warn"}
    clocks = []
    for t in timers:
        if t.escalation == "warn":
            continue
        warning = warnings.get((t.cause_event_id, t.clock))
        minutes = float(t.business_minutes) if t.business_minutes is not None else None
        target = float(t.target_minutes) if t.target_minutes is not None else None
        in_time = None
        if t.status == "met":
            in_time = t.closed_at is not None and t.closed_at <= t.due_at
        elif t.status == "breached":
            in_time = False
        clocks.append(
            ClockRead(
                clock=t.clock,
                tier=t.tier,
                sla_version=t.sla_version,
                owner=t.owner,
                team=t.team,
                calendar=t.calendar,
                started_at=t.started_at,
                due_at=t.due_at,
                target_minutes=target,
                status=t.status,
                met_in_time=in_time,
                business_minutes=minutes,
                met_by=t.met_by,
                closed_at=t.closed_at,
                closed_reason=t.closed_reason,
                escalation=t.escalation,
                escalation_step=t.escalation_step,
                warn_at=warning.due_at if warning else None,
                warned=warning is not None and warning.status == "warned",
                attempts=t.attempts if t.clock == "follow_up" else None,
                required_attempts=t.required_attempts,
                acknowledged_at=t.acknowledged_at,
                acknowledged_by=t.acknowledged_by,
                acknowledgement=t.acknowledgement,
            )
        )
    return clocks


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: str
    previous_stage: str | None
    owner: str | None
    reason: str | None
    detail: str | None
    channel: str | None
    amount: Decimal | None
    currency: str | None
    forced: bool
    occurred_at: datetime | None
    reported_at: datetime
    via: str = Field(description="api | import")


HIDDEN_WORDS = "hidden: may name the person, which this key may not read"


def without_free_text(read: LeadSlaRead) -> LeadSlaRead:
    """A lead's SLA story without the words people wrote (a step's detail, a breach's note)."""
    return read.model_copy(
        update={
            "clocks": [
                c.model_copy(update={"acknowledgement": HIDDEN_WORDS if c.acknowledgement else None})
                for c in read.clocks
            ],
            "steps": [
                s.model_copy(update={"detail": HIDDEN_WORDS if s.detail else None}) for s in read.steps
            ],
        }
    )


class LeadSlaRead(BaseModel):
    lead_id: UUID
    owner: str | None = Field(description="null while the lead waits in a routing queue, or never qualified")
    team: str | None
    stage: str | None
    tier: str | None = Field(description="The SLA policy tier its clocks follow")
    sla_version: int | None
    captured_at: datetime | None
    qualified_at: datetime | None
    clocks: list[ClockRead]
    steps: list[StepRead]
