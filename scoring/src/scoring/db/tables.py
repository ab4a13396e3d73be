"""scoring's tables: each lead's facts and current score, every score with its reasons."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.console_keys import console_keys_table
from leadkit.db import new_metadata
from leadkit.erasure import tombstone_table
from leadkit.messaging import messaging_tables
from leadkit.policies import policy_tables
from leadkit.quarantine import quarantine_table

metadata = new_metadata()
messaging = messaging_tables(metadata)
console_keys = console_keys_table(metadata)
quarantine = quarantine_table(metadata)
erased_leads = tombstone_table(metadata)
policies = policy_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class LeadProfile(Base):
    __tablename__ = "lead_profiles"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    correlation_id: Mapped[UUID | None] = mapped_column(
        comment="the capture request's, for events decay causes"
    )
    fit_score: Mapped[int] = mapped_column(Integer, server_default="0")
    engagement_score: Mapped[int] = mapped_column(Integer, server_default="0")
    engagement_level: Mapped[str] = mapped_column(Text, server_default="")
    qualified: Mapped[bool] = mapped_column(Boolean, server_default="false")
    predicted_conversion: Mapped[float | None] = mapped_column(Float)
    predicted_win: Mapped[float | None] = mapped_column(Float)
    engagement_since: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="touches before this do not count: the lead was recycled then"
    )
    decay_due_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when decay alone next changes the engagement level"
    )

    __table_args__ = (
        Index(
            "ix_lead_profiles_decay_due_at", "decay_due_at", postgresql_where=text("decay_due_at IS NOT NULL")
        ),
        Index("ix_lead_profiles_created_at", "created_at"),
    )


class TouchRow(Base):
    """Every touch of every lead: engagement is recomputed from these at any instant."""

    __tablename__ = "touches"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    touch_id: Mapped[str] = mapped_column(Text, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    type: Mapped[str] = mapped_column(Text)
    form_id: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)


class Outcome(Base):
    """What sales reported for a lead (lead.progressed) and recycles (lead.recycled)."""

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_lead_id", "lead_id"),)

    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    stage: Mapped[str] = mapped_column(Text, comment="a lead.progressed stage, or `recycled`")
    reason: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RescoreJob(Base):
    """Re-scoring every lead after an activation: claimed batch by batch by any instance."""

    __tablename__ = "rescore_jobs"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer, server_default="0")
    done: Mapped[int] = mapped_column(Integer, server_default="0")
    changed: Mapped[int] = mapped_column(Integer, server_default="0")
    cursor: Mapped[UUID | None] = mapped_column(comment="the last lead id re-scored")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Predictor(Base):
    """A classifier fitted on outcomes: its coefficients, calibration and how much data it saw."""

    __tablename__ = "predictors"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    leads: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONB)


class ScoreRecord(Base):
    """Why a lead has the score it has: one row per emitted lead.scored."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_lead_id_scored_at", "lead_id", "scored_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    event_id: Mapped[UUID] = mapped_column(comment="the lead.scored event this row became")
    cause_event_id: Mapped[UUID | None] = mapped_column(
        comment="the event that triggered the scoring (none when decay or an activation did)"
    )
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(Text)
    fit_score: Mapped[int] = mapped_column(Integer)
    engagement_score: Mapped[int] = mapped_column(Integer)
    engagement_level: Mapped[str] = mapped_column(Text, server_default="")
    qualified: Mapped[bool] = mapped_column(Boolean, server_default="false")
    predicted_conversion: Mapped[float | None] = mapped_column(Float)
    cause: Mapped[str] = mapped_column(
        Text, server_default="captured", comment="captured, decay, activation, recycled"
    )
    model_version: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
