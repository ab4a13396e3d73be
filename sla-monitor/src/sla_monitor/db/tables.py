"""sla-monitor's tables: leads with owners, durable SLA timers, reported progress, the reps routing
announces."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.console_keys import console_keys_table
from leadkit.db import new_metadata
from leadkit.erasure import tombstone_table
from leadkit.idempotency import idempotency_table
from leadkit.key_store import api_keys_table
from leadkit.messaging import messaging_tables
from leadkit.policies import policy_tables
from leadkit.quarantine import quarantine_table

metadata = new_metadata()
messaging = messaging_tables(metadata)
console_keys = console_keys_table(metadata)
quarantine = quarantine_table(metadata)
erased_leads = tombstone_table(metadata)
idempotency = idempotency_table(metadata)
api_keys = api_keys_table(metadata, scopes_comment="progress (a sales tool's key)")
policy_versions, policy_activations = policy_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class SalesLead(Base):
    """Every lead capture knows (sales may report outcomes for any); an owner once qualified."""

    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_email_hash", "email_hash"),)

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    owner: Mapped[str | None] = mapped_column(Text, comment="null while the lead waits in a routing queue")
    correlation_id: Mapped[UUID] = mapped_column()
    qualified_event_id: Mapped[UUID | None] = mapped_column(comment="the latest lead.qualified; null: never")
    stage: Mapped[str | None] = mapped_column(Text)
    captured_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the first lead.captured: no step happened before it"
    )
    email_hash: Mapped[str | None] = mapped_column(
        Text, comment="sha256 of the normalized email, for imports by email; never the email itself"
    )
    team: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(Text, comment="the SLA policy tier its clocks follow")
    sla_version: Mapped[int | None] = mapped_column(Integer, comment="the SLA policy version that chose it")
    qualified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assignment: Mapped[int] = mapped_column(Integer, server_default="0", comment="lead.qualified's count")
    facts: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="what the tier was chosen on (team, grade, score, source, region, country)"
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SlaTimer(Base):
    """A running clock. Survives restarts: the worker finds due rows, whoever runs it."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_pending_due_at", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_timers_lead_id", "lead_id"),
        # the SLA screen: breaches by when they were due (heat map) and by when they closed (recent)
        Index("ix_timers_breached_due_at", "due_at", postgresql_where=text("status = 'breached'")),
        Index("ix_timers_breached_closed_at", "closed_at", postgresql_where=text("status = 'breached'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    clock: Mapped[str] = mapped_column(Text, comment="accept | first_contact | follow_up | disposition")
    tier: Mapped[str | None] = mapped_column(Text)
    sla_version: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[str | None] = mapped_column(Text, comment="whose business hours it ran on")
    target_minutes: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), comment="business minutes")
    business_minutes: Mapped[Decimal | None] = mapped_column(
        Numeric(12, 2), comment="business minutes from start to met (or to the breach)"
    )
    met_by: Mapped[str | None] = mapped_column(Text, comment="the rep whose step met it")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0", comment="follow_up: contacts so far")
    required_attempts: Mapped[int | None] = mapped_column(Integer)
    escalation: Mapped[str] = mapped_column(Text)
    escalation_step: Mapped[int] = mapped_column(Integer, server_default="1")
    owner: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, comment="pending | met | breached | cancelled | warned")
    cause_event_id: Mapped[UUID] = mapped_column(comment="the lead.qualified that started it")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="a breach acknowledged by a manager: when"
    )
    acknowledged_by: Mapped[str | None] = mapped_column(Text, comment="the console key's name or system-<n>")
    acknowledgement: Mapped[str | None] = mapped_column(
        Text, comment="the manager's note (erased with the person: it may name them)"
    )


class RosterRep(Base):
    """A rep as routing's roster last announced it on rep.changed: what a CRM owner map may name."""

    __tablename__ = "reps"

    rep_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team: Mapped[str] = mapped_column(Text)
    active: Mapped[bool]
    deleted: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="the event's occurred_at")


class TeamCalendar(Base):
    """A team's business hours: its clocks run only inside them."""

    __tablename__ = "calendars"

    team: Mapped[str] = mapped_column(Text, primary_key=True)
    timezone: Mapped[str] = mapped_column(Text)
    hours: Mapped[str] = mapped_column(Text, comment="as given: 'mon-fri 09:00-18:00'")
    holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Mql(Base):
    """A lead delivered to sales: its first qualification, and each again after a recycle."""

    __tablename__ = "mqls"
    __table_args__ = (Index("ix_mqls_qualified_at", "qualified_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    qualified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    team: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)


class ProgressReport(Base):
    __tablename__ = "progress"
    __table_args__ = (Index("ix_progress_lead_id_reported_at", "lead_id", "reported_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    stage: Mapped[str] = mapped_column(Text)
    previous_stage: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, comment="the reason code, for rejected and lost")
    detail: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    forced: Mapped[bool] = mapped_column(server_default=text("false"), comment="against the stage order")
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    via: Mapped[str] = mapped_column(Text, server_default="api", comment="api | import")
    event_id: Mapped[UUID] = mapped_column()
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SubscriptionRow(Base):
    """Where a sales tool wants lead events (docs/deliveries.md). Secrets and tokens are sealed
    (delivery/domain/sealing.py): no column holds one in the clear."""

    __tablename__ = "subscriptions"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(Text, comment="webhook | slack | hubspot | salesforce")
    url: Mapped[str] = mapped_column(Text, comment="the endpoint (an adapter's API base for a CRM)")
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    description: Mapped[str] = mapped_column(Text, server_default="")
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="the whsec_ signing secret, sealed")
    previous_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the rotated-out secret also signs until then"
    )
    credentials_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="an adapter's tokens, sealed"
    )
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default="{}", comment="an adapter's settings: owner maps, client id"
    )
    paused: Mapped[bool] = mapped_column(server_default=text("false"))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the first failure since the last success"
    )
    leased_until: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="the instance sending its deliveries holds it until then"
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    """One event for one subscription, written in the transaction that consumed the event.
    Delivered in order per lead and subscription: a later one waits for every earlier one."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("uq_deliveries_subscription_id_event_id", "subscription_id", "event_id", unique=True),
        # a lead's deliveries not yet through, earliest first: which of them may go now
        Index(
            "ix_deliveries_open",
            "subscription_id",
            "lead_id",
            "id",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
        Index("ix_deliveries_subscription_id_id", "subscription_id", "id"),  # the listing, newest first
        Index(
            "ix_deliveries_due",
            "subscription_id",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_deliveries_lead_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subscription_id: Mapped[UUID] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    lead_id: Mapped[UUID] = mapped_column()
    event_id: Mapped[UUID] = mapped_column(comment="the event's envelope id: the delivery's webhook-id")
    event_type: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # text, not jsonb: stored once and sent byte for byte, never queried inside
    payload: Mapped[str | None] = mapped_column(Text, comment="the body sent; null once the person is erased")
    status: Mapped[str] = mapped_column(Text, comment="pending | delivered | failed | skipped")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer, comment="the last answer's HTTP status")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    external_id: Mapped[str | None] = mapped_column(Text, comment="the record id a CRM answered with")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # a resend or replay may come while the delivery is in a worker's hand: an attempt that read a
    # smaller count is not the one asked for, so its outcome leaves the delivery pending to go again
    resend_asks: Mapped[int] = mapped_column(
        Integer, server_default="0", comment="how many times an operator asked to send it again"
    )


class LeadCardRow(Base):
    """What deliveries say of a lead: its person, first and latest touch, latest score and
    reasons. Personal: deleted on lead.erased (a tombstone keeps it from coming back)."""

    __tablename__ = "lead_cards"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    person: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    first_touch: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    latest_touch: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrmRecordRow(Base):
    """The record a CRM adapter made for a lead, so later events update the same record."""

    __tablename__ = "crm_records"

    subscription_id: Mapped[UUID] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(Text, comment="the contact's or Lead's id in the CRM")
    related_id: Mapped[str | None] = mapped_column(Text, comment="HubSpot's Lead object beside the contact")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
