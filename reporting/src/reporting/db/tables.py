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
    LargeBinary,
    Numeric,
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
    """Per day, what the rule models credit each key (time decay at the default half-life)."""

    __tablename__ = "attribution_credits"

    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, comment="of the outcome, or the last touch")
    model: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    conversions: Mapped[float] = mapped_column(Double)
    revenue_share: Mapped[float] = mapped_column(Double)


class AttributionTransitions(Base):
    """Per day, how often Markov's transitions were walked."""

    __tablename__ = "attribution_transitions"

    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    from_state: Mapped[str] = mapped_column(Text, primary_key=True)
    to_state: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AttributionSets(Base):
    """Per day, the journeys of each set of distinct keys (Shapley's game, and the totals)."""

    __tablename__ = "attribution_sets"

    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    key_type: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    keys: Mapped[str] = mapped_column(Text, primary_key=True, comment="sorted, joined by U+001F")
    journeys: Mapped[int] = mapped_column(Integer)
    conversions: Mapped[int] = mapped_column(Integer)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))


class AttributionDirty(Base):
    """Days whose attribution aggregates are behind the projection: recomputed by the refresher,
    and answered live until then."""

    __tablename__ = "attribution_dirty"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), comment="the first mark since the last refresh"
    )


class FunnelDays(Base):
    """Per day of capture, the funnel of each key of a dimension ('all' keys its one row ''):
    stage counts and the velocity histograms (`reporting.domain.funnel_cells`)."""

    __tablename__ = "funnel_days"

    dimension: Mapped[str] = mapped_column(Text, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    counts: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), comment="leads, mqls, sals, sqls, opportunities, won, lost, rejected, recycled"
    )
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    spans: Mapped[bytes] = mapped_column(LargeBinary, comment="sparse (step u1, bucket u2, count u4) records")


class FunnelMonths(Base):
    """The days of a month summed, for a month none of whose days is marked."""

    __tablename__ = "funnel_months"

    dimension: Mapped[str] = mapped_column(Text, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True, comment="its first day")
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    counts: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    spans: Mapped[bytes] = mapped_column(LargeBinary)


class FunnelDirty(Base):
    """Capture days whose funnel aggregates are behind the projection (as `attribution_dirty`)."""

    __tablename__ = "funnel_dirty"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), comment="the first mark since the last refresh"
    )


class AggregateCosts(Base):
    """What a day's last recount took, per kind of aggregate: a busy day waits longer to settle."""

    __tablename__ = "aggregate_costs"

    kind: Mapped[str] = mapped_column(Text, primary_key=True, comment="attribution or funnel")
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    seconds: Mapped[float] = mapped_column(Double)
