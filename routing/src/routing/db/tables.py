"""routing's tables: the roster (teams, reps, absences), accounts, the policy versions, each
lead's routing state, every assignment with its record, the rotation and the fairness ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Date, DateTime, Identity, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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


class TeamRow(Base):
    """A team; its row is also the lock that serializes the team's rotation and its reps' loads."""

    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    manager: Mapped[str | None] = mapped_column(Text, comment="a rep id")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RepRow(Base):
    __tablename__ = "reps"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    team: Mapped[str] = mapped_column(Text, index=True)
    weight: Mapped[int] = mapped_column(Integer, server_default="1")
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    weekly_cap: Mapped[int | None] = mapped_column(Integer)
    max_open: Mapped[int | None] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    timezone: Mapped[str] = mapped_column(Text, server_default="UTC")
    hours: Mapped[str] = mapped_column(Text, server_default="", comment="as given: 'mon-fri 09:00-17:00'")
    active: Mapped[bool] = mapped_column(server_default=text("true"), comment="the on/off switch")
    availability_reason: Mapped[str | None] = mapped_column(
        Text, comment="why the switch was last moved, as given (PUT /v1/reps/{id}/availability)"
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RosterVersion(Base):
    """One row, bumped by a trigger on every change to teams, reps or absences: an instance keeps
    its roster in memory until the number moves."""

    __tablename__ = "roster_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")


class AbsenceRow(Base):
    """Kept after it ends or is replaced (`cancelled_at`), so a replay sees availability as it was."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_rep_id", "rep_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    rep_id: Mapped[str] = mapped_column(Text)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date, comment="inclusive")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    normalized_name: Mapped[str] = mapped_column(Text, index=True)
    owner: Mapped[str | None] = mapped_column(Text)
    domains: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AccountDomain(Base):
    __tablename__ = "account_domains"

    domain: Mapped[str] = mapped_column(Text, primary_key=True)
    account_id: Mapped[str] = mapped_column(Text, index=True)


class RepLoad(Base):
    """Counts the caps read; changed only under the rep's team lock (releases too)."""

    __tablename__ = "rep_loads"

    rep_id: Mapped[str] = mapped_column(Text, primary_key=True)
    open_leads: Mapped[int] = mapped_column(Integer, server_default="0")
    day: Mapped[date | None] = mapped_column(Date, comment="the rep's local date day_count counts")
    day_count: Mapped[int] = mapped_column(Integer, server_default="0")
    week: Mapped[date | None] = mapped_column(Date, comment="the Monday week_count counts from")
    week_count: Mapped[int] = mapped_column(Integer, server_default="0")


class Rotation(Base):
    """Smooth weighted round robin's credit per rep of a team (domain/distribute.py)."""

    __tablename__ = "rotation"

    team: Mapped[str] = mapped_column(Text, primary_key=True)
    rep_id: Mapped[str] = mapped_column(Text, primary_key=True)
    credit: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(Base):
    """The fairness ledger: one row per rep per assignment round it took part in, and per move."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_team_at", "team", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    team: Mapped[str] = mapped_column(Text)
    rep_id: Mapped[str] = mapped_column(Text)
    lead_id: Mapped[UUID] = mapped_column()
    entry: Mapped[str] = mapped_column(Text, comment="assigned | skipped | reassigned_away | reassigned_to")
    method: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, comment="the skip reason")
    credited: Mapped[bool] = mapped_column(server_default=text("false"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoutedLead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_queued", "team", "queued_at", postgresql_where=text("status = 'queued'")),
        Index("ix_leads_owner_open", "owner", postgresql_where=text("status = 'assigned'")),
    )

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(Text)
    qualified: Mapped[bool] = mapped_column()
    qualification_reason: Mapped[str] = mapped_column(Text, comment="why it is or is not an MQL")
    owner: Mapped[str | None] = mapped_column(Text)
    assignments: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[str] = mapped_column(
        Text, server_default="new", comment="new | queued | assigned | closed | recycled"
    )
    team: Mapped[str | None] = mapped_column(Text)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSONB, comment="lead.scored's `lead`, latest")
    correlation_id: Mapped[UUID | None] = mapped_column()
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when sales closed or recycled it: capacity freed (replays read it)"
    )


class AssignmentRecord(Base):
    """Why a lead has its owner: one row per decision (an owner, or the queue)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_lead_id_assigned_at", "lead_id", "assigned_at"),
        Index("ix_assignments_assigned_at", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    lead_id: Mapped[UUID] = mapped_column()
    owner: Mapped[str | None] = mapped_column(Text, comment="null when no rep could take it")
    previous_owner: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    passed_over: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    cause_event_id: Mapped[UUID | None] = mapped_column()
    event_id: Mapped[UUID | None] = mapped_column(comment="the lead.qualified it became")
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(
        Text, server_default="assign", comment="assign | reassign | queue_turn | manual"
    )
    team: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    tie_break: Mapped[str | None] = mapped_column(Text)
    steps: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    decision_us: Mapped[int | None] = mapped_column(Integer, comment="how long deciding took")
    inputs: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="what the rules tested: score, grade, profile, account (a replay reruns them)"
    )
