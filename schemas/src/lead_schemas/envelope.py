"""The event envelope every leadloop event shares (DESIGN.md, "Event envelope")."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

EnvelopeT = TypeVar("EnvelopeT", bound="Envelope")


class Payload(BaseModel):
    """Base of every event's `data`: readers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(BaseModel):
    """One event. Subclasses fix `type`, `version` and the type of `data`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    topic: ClassVar[str]

    id: UUID = Field(default_factory=uuid4, description="Unique per event; consumers deduplicate on it.")
    type: str = Field(description="The topic name, e.g. `lead.scored`.")
    version: int = Field(
        description="Schema version of `data`; within a version only optional fields are added."
    )
    occurred_at: AwareDatetime = Field(description="When it happened, RFC 3339, UTC.")
    producer: str = Field(description="The service that wrote the event.")
    lead_id: UUID = Field(description="The lead it is about; also the Kafka message key.")
    correlation_id: UUID = Field(
        description="Carried unchanged from the capture request that started it all."
    )
    causation_id: UUID | None = Field(
        default=None, description="The `id` of the event that caused this one (absent on `lead.captured`)."
    )
    data: Any

    def caused(
        self, event_type: builtins.type[EnvelopeT], *, producer: str, data: Any, occurred_at: datetime
    ) -> EnvelopeT:
        """A new event caused by this one: same lead and correlation, causation = this event's id."""
        return event_type.new(
            producer=producer,
            lead_id=self.lead_id,
            correlation_id=self.correlation_id,
            causation_id=self.id,
            occurred_at=occurred_at,
            data=data,
        )

    @classmethod
    def new(
        cls,
        *,
        producer: str,
        lead_id: UUID,
        correlation_id: UUID,
        data: Any,
        causation_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        # subclasses fix `type` and `version` by default; validate so `data` is checked too
        return cls.model_validate(
            {
                "occurred_at": occurred_at or datetime.now(UTC),
                "producer": producer,
                "lead_id": lead_id,
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "data": data,
            }
        )
