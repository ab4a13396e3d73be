"""reporting's projection: one row per lead with its first touch and how far it got.

Rebuildable from the topics alone (invariant 8): every column is set from events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Double,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.console_keys import console_keys_table
from leadkit.db import new_metadata
from leadkit.messaging import messaging_tables
from leadkit.quarantine import quarantine_table

metadata = new_metadata()
messaging = messaging_tables(metadata)
console_keys = console_keys_table(metadata)
quarantine = quarantine_table(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class LeadFunnel(Base):
    """A lead's first touch, its facts and the first time it reached each stage."""

    __tablename__ = "lead_funnel"
    # attribution picks journeys by the time of their outcome, or of their last touch
    __table_args__ = (
        Index("ix_lead_funnel_captured_at", "captured_at"),
        Index("ix_lead_funnel_last_touch_at", "last_touch_at"),
        Index("ix_lead_funnel_mql_at", "mql_at"),
        Index("ix_lead_funnel_sql_at", "sql_at"),
        Index("ix_lead_funnel_opportunity_at", "opportunity_at"),
        Index("ix_lead_funnel_won_at", "won_at"),
    )

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    form: Mapped[str | None] = mapped_column(Text)
    touches: Mapped[int] = mapped_column(Integer, server_default="0")
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(Text)
    is_mql: Mapped[bool] = mapped_column(server_default=text("false"))
    mql_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_step_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_contact_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accept_business_minutes: Mapped[float | None] = mapped_column(Double)
    contact_business_minutes: Mapped[float | None] = mapped_column(Double)
    is_sal: Mapped[bool] = mapped_column(server_default=text("false"))
    sal_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_sql: Mapped[bool] = mapped_column(server_default=text("false"))
    sql_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_opportunity: Mapped[bool] = mapped_column(server_default=text("false"))
    opportunity_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_won: Mapped[bool] = mapped_column(server_default=text("false"))
    won_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revenue: Mapped[Decimal] = mapped_column(Numeric(16, 2), server_default="0")
    is_lost: Mapped[bool] = mapped_column(server_default=text("false"))
    lost_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lost_reason: Mapped[str | None] = mapped_column(Text)
    is_rejected: Mapped[bool] = mapped_column(server_default=text("false"))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    is_recycled: Mapped[bool] = mapped_column(server_default=text("false"))
    recycled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recycle_reason: Mapped[str | None] = mapped_column(Text)
    sla_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    erased: Mapped[bool] = mapped_column(server_default=text("false"))


class TouchLog(Base):
    """Every touch of every lead: the journeys multi-touch attribution credits. No personal data."""

    __tablename__ = "touches"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    touch_id: Mapped[str] = mapped_column(Text, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    created_lead: Mapped[bool] = mapped_column(
        server_default=text("false"), comment="the touch that made the lead"
    )


class Spend(Base):
    """What marketing spent on a channel, source or campaign over a period (days, inclusive)."""

    __tablename__ = "spend"
    __table_args__ = (
        UniqueConstraint("starts", "ends", "channel", "source", "campaign", name="uq_spend_period_and_keys"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date, comment="inclusive")
    channel: Mapped[str] = mapped_column(Text, server_default="", comment="'' when the spend names none")
    source: Mapped[str] = mapped_column(Text, server_default="")
    campaign: Mapped[str] = mapped_column(Text, server_default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Target(Base):
    """A month's targets, as marketing and sales agreed them; a measure left out has none."""

    __tablename__ = "targets"

    month: Mapped[date] = mapped_column(Date, primary_key=True, comment="the first of the month")
    leads: Mapped[int | None] = mapped_column(Integer)
    mqls: Mapped[int | None] = mapped_column(Integer)
    sqls: Mapped[int | None] = mapped_column(Integer)
    won: Mapped[int | None] = mapped_column(Integer)
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text, comment="the key's name (a console key) or system-<n>")


class AttributionCredits(Base):
    """Per period (of the outcome, or the last touch), what the rule models credit each key (time
    decay at the default half-life). Kept by the projection's handler: each poll adds what it
    changed (`reporting.domain.aggregate_deltas`)."""

    __tablename__ = "attribution_credits"

    grain: Mapped[str] = mapped_column(Text, primary_key=True, comment="day (UTC)")
    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    model: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    conversions: Mapped[float] = mapped_column(Double)
    revenue_share: Mapped[float] = mapped_column(Double)


class AttributionTransitions(Base):
    """Per period, how often Markov's transitions were walked."""

    __tablename__ = "attribution_transitions"

    grain: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    from_state: Mapped[str] = mapped_column(Text, primary_key=True)
    to_state: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class AttributionSets(Base):
    """Per period, the journeys of each set of distinct keys (Shapley's game, and the totals)."""

    __tablename__ = "attribution_sets"

    grain: Mapped[str] = mapped_column(Text, primary_key=True)
    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    keys: Mapped[str] = mapped_column(Text, primary_key=True, comment="sorted, joined by U+001F")
    journeys: Mapped[int] = mapped_column(BigInteger)
    conversions: Mapped[int] = mapped_column(BigInteger)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class FunnelCells(Base):
    """Per period of capture (day, month), the stage counts and revenue of each key of a
    dimension ('all' keys its one row ''), kept by the projection's handler as attribution's are."""

    __tablename__ = "funnel_cells"

    grain: Mapped[str] = mapped_column(Text, primary_key=True, comment="day or month (UTC)")
    dimension: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    leads: Mapped[int] = mapped_column(BigInteger)
    mqls: Mapped[int] = mapped_column(BigInteger)
    sals: Mapped[int] = mapped_column(BigInteger)
    sqls: Mapped[int] = mapped_column(BigInteger)
    opportunities: Mapped[int] = mapped_column(BigInteger)
    won: Mapped[int] = mapped_column(BigInteger)
    lost: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    recycled: Mapped[int] = mapped_column(BigInteger)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class FunnelSpans(Base):
    """The velocity histograms of the funnel's cells: one row per step that holds spans, its
    buckets' counts (`reporting.domain.funnel_cells`), added to element by element."""

    __tablename__ = "funnel_spans"

    grain: Mapped[str] = mapped_column(Text, primary_key=True)
    dimension: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    step: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    counts: Mapped[list[int]] = mapped_column(ARRAY(Integer), comment="one per bucket")


class AggregatesBuilt(Base):
    """Which version of the aggregates' shape the tables hold (none after a rebuild or an upgrade
    that changed it: reporting recounts them from the projection before it consumes)."""

    __tablename__ = "aggregates_built"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
