"""routing's tables: each lead's routing state, every assignment with its reason, the cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.db import new_metadata
from leadkit.messaging import messaging_tables

metadata = new_metadata()
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class RoutedLead(Base):
    __tablename__ = "leads"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(Text)
    qualified: Mapped[bool] = mapped_column()
    qualification_reason: Mapped[str] = mapped_column(Text, comment="why it is or is not an MQL")
    owner: Mapped[str | None] = mapped_column(Text)
    assignments: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AssignmentRecord(Base):
    """Why a lead has its owner: one row per lead.qualified (or per failed attempt)."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_lead_id_assigned_at", "lead_id", "assigned_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    owner: Mapped[str | None] = mapped_column(Text, comment="null when no rep could take it")
    previous_owner: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    passed_over: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    cause_event_id: Mapped[UUID] = mapped_column()
    event_id: Mapped[UUID | None] = mapped_column(comment="the lead.qualified it became")
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoundRobinCursor(Base):
    """Position of the last rep assigned, per pool; locked while choosing so turns are fair."""

    __tablename__ = "round_robin_cursors"

    pool: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
