"""sla-monitor's tables: leads with owners, durable SLA timers, reported progress."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Date, DateTime, Identity, Index, Integer, Numeric, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.db import new_metadata
from leadkit.erasure import tombstone_table
from leadkit.idempotency import idempotency_table
from leadkit.key_store import api_keys_table
from leadkit.messaging import messaging_tables
from leadkit.policies import policy_tables
from leadkit.quarantine import quarantine_table

metadata = new_metadata()
messaging = messaging_tables(metadata)
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
