"""capture's tables: one row per person, one per touch, plus the kit's outbox and inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leadkit.console_keys import console_keys_table
from leadkit.db import new_metadata
from leadkit.idempotency import idempotency_table
from leadkit.key_store import api_keys_table
from leadkit.messaging import messaging_tables

metadata = new_metadata()
messaging = messaging_tables(metadata)
console_keys = console_keys_table(metadata)
idempotency = idempotency_table(metadata)
api_keys = api_keys_table(metadata, scopes_comment="ingest | read | erase | admin")


class Base(DeclarativeBase):
    metadata = metadata


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    identity_key: Mapped[str] = mapped_column(Text, unique=True, comment="email:… or phone:…")
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    company: Mapped[str | None] = mapped_column(Text)
    job_title: Mapped[str | None] = mapped_column(Text)
    company_size: Mapped[str | None] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)
    company_domain: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    first_touch_id: Mapped[UUID | None] = mapped_column()
    last_touch_id: Mapped[UUID | None] = mapped_column()
    first_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Touch(Base):
    __tablename__ = "touches"
    __table_args__ = (
        Index("ix_touches_lead_id_occurred_at", "lead_id", "occurred_at"),
        Index("ix_touches_via_external_id", "via", "external_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    lead_id: Mapped[UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    correlation_id: Mapped[UUID] = mapped_column()
    type: Mapped[str] = mapped_column(Text, server_default="form_submission")
    via: Mapped[str] = mapped_column(Text, server_default="api")
    channel: Mapped[str | None] = mapped_column(Text)
    api_key_id: Mapped[UUID | None] = mapped_column(comment="the key that posted it, when one did")
    external_id: Mapped[str | None] = mapped_column(Text, comment="the platform's own lead id")
    is_test: Mapped[bool] = mapped_column(server_default=text("false"))
    referrer: Mapped[str | None] = mapped_column(Text)
    msclkid: Mapped[str | None] = mapped_column(Text)
    li_fat_id: Mapped[str | None] = mapped_column(Text)
    consent_marketing: Mapped[bool | None] = mapped_column()
    consent_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    medium: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    term: Mapped[str | None] = mapped_column(Text)
    gclid: Mapped[str | None] = mapped_column(Text)
    fbclid: Mapped[str | None] = mapped_column(Text)
    form_id: Mapped[str | None] = mapped_column(Text)
    page_url: Mapped[str | None] = mapped_column(Text)
    submitted: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, comment="an unauthenticated post's own person fields, kept for review; never merged over"
    )


class Form(Base):
    """A website form that posts straight from browsers, authenticated by its public key."""

    __tablename__ = "forms"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(Text, unique=True)
    allowed_origins: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    thank_you_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text, comment="default utm_source for its touches")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SpamSubmission(Base):
    """Kept for audit; never emitted."""

    __tablename__ = "spam_submissions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    via: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(Text)
    form_id: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # an operator judged it a false positive (`leadloop spam release`) and it became this lead
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_lead_id: Mapped[UUID | None] = mapped_column(Uuid)


class PlatformLead(Base):
    """An ad platform's notification, recorded before its 200: the lead's fields are fetched
    from the platform's API afterwards, with retries, so a failed fetch never loses the lead."""

    __tablename__ = "platform_leads"
    __table_args__ = (
        Index("uq_platform_leads_platform_external_id", "platform", "external_id", unique=True),
        Index("ix_platform_leads_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    platform: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str] = mapped_column(Text)
    notification: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, comment="pending | captured | failed | deleted")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    lead_id: Mapped[UUID | None] = mapped_column()
    correlation_id: Mapped[UUID] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
