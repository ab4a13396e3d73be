"""scoring's tables: each lead's facts and current score, every score with its reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.db import new_metadata
from leadkit.messaging import messaging_tables
from leadkit.policies import policy_tables

metadata = new_metadata()
messaging = messaging_tables(metadata)
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


class ScoreRecord(Base):
    """Why a lead has the score it has: one row per emitted lead.scored."""

    __tablename__ = "scores"
    __table_args__ = (Index("ix_scores_lead_id_scored_at", "lead_id", "scored_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    event_id: Mapped[UUID] = mapped_column(comment="the lead.scored event this row became")
    cause_event_id: Mapped[UUID] = mapped_column(comment="the event that triggered the scoring")
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(Text)
    fit_score: Mapped[int] = mapped_column(Integer)
    engagement_score: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
