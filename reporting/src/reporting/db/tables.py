"""reporting's projection: one row per lead with its first touch and how far it got.

Rebuildable from the topics alone (invariant 8): every column is set from events.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import DateTime, Integer, Numeric, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.db import new_metadata
from leadkit.messaging import messaging_tables

metadata = new_metadata()
messaging = messaging_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class LeadFunnel(Base):
    __tablename__ = "lead_funnel"

    lead_id: Mapped[UUID] = mapped_column(primary_key=True)
    # first touch: where the lead came from (single-touch attribution until multi-touch arrives)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    touches: Mapped[int] = mapped_column(Integer, server_default="0")
    score: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    is_mql: Mapped[bool] = mapped_column(server_default=text("false"))
    mql_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    is_sal: Mapped[bool] = mapped_column(server_default=text("false"))
    is_sql: Mapped[bool] = mapped_column(server_default=text("false"))
    is_opportunity: Mapped[bool] = mapped_column(server_default=text("false"))
    is_won: Mapped[bool] = mapped_column(server_default=text("false"))
    revenue: Mapped[Decimal] = mapped_column(Numeric(16, 2), server_default="0")
    is_recycled: Mapped[bool] = mapped_column(server_default=text("false"))
    recycle_reason: Mapped[str | None] = mapped_column(Text)
    sla_breaches: Mapped[int] = mapped_column(Integer, server_default="0")
    erased: Mapped[bool] = mapped_column(server_default=text("false"))
