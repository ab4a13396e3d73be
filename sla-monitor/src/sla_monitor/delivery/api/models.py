"""HTTP models of the subscriptions API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sla_monitor.delivery.domain.subscriptions import EventType, Kind, filter_problems

FilterValue = Annotated[str, Field(min_length=1, max_length=200)]


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(
        default="webhook", description="webhook (Standard Webhooks), slack, hubspot, salesforce"
    )
    url: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="webhook: the endpoint; slack: the incoming webhook URL (a secret: stored sealed, shown "
        "masked); salesforce: the org's My Domain URL; hubspot: the API (default https://api.hubapi.com)",
    )
    event_types: list[EventType] = Field(min_length=1, max_length=16)
    filters: dict[str, FilterValue | list[FilterValue]] = Field(
        default_factory=dict, description="team, owner, grade, source, region: a value or a list of values"
    )
    description: str = Field(default="", max_length=500)
    token: str | None = Field(
        default=None, min_length=1, max_length=500, description="hubspot: the private app's access token"
    )
    client_id: str | None = Field(default=None, min_length=1, max_length=500, description="salesforce")
    client_secret: str | None = Field(default=None, min_length=1, max_length=500, description="salesforce")
    owner_map: dict[Annotated[str, Field(min_length=1, max_length=100)], str] = Field(
        default_factory=dict,
        max_length=10_000,
        description="hubspot, salesforce: leadloop rep id → the CRM's owner (HubSpot owner id, Salesforce "
        "user id); a rep not in it leaves the owner to the CRM",
    )

    @field_validator("filters")
    @classmethod
    def _known_filters(cls, filters: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        problems = filter_problems(filters)
        if problems:
            raise ValueError("; ".join(f"{key}: {why}" for key, why in problems))
        return filters


class SubscriptionRead(BaseModel):
    id: UUID
    kind: Kind
    url: str = Field(description="The endpoint; a Slack URL masked (it is a secret)")
    event_types: list[str]
    filters: dict[str, list[str]]
    description: str
    paused: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="The whsec_ signing secret: shown this once, never readable again")


class SecretRotated(BaseModel):
    id: UUID
    secret: str = Field(description="The new whsec_ secret, shown this once")
    previous_valid_until: datetime = Field(description="Until then the old secret signs too")


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: float = Field(default=24, ge=0, le=24 * 30)


class DeliveryRead(BaseModel):
    id: int
    lead_id: UUID
    event_id: UUID = Field(description="The webhook-id the endpoint received")
    event_type: str
    occurred_at: datetime
    status: str = Field(description="pending | delivered | failed (parked) | skipped")
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    last_latency_ms: int | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    external_id: str | None


class TestSent(BaseModel):
    status: int | None
    latency_ms: int
    error: str | None


class Replayed(BaseModel):
    queued: int = Field(description="Deliveries of the window queued again, with their webhook-ids")
