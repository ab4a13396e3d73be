"""Subscriptions, deliveries and lead cards for sales tools

Revision ID: 3b6fe9071808
Revises: 8c2a4ea21cbe
Create Date: 2026-12-02 16:12:55.609364
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3b6fe9071808"
down_revision: str | None = "8c2a4ea21cbe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_cards",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("person", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("first_touch", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("latest_touch", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_cards")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False, comment="webhook | slack | hubspot | salesforce"),
        sa.Column("url", sa.Text(), nullable=False, comment="the endpoint (an adapter's API base for a CRM)"),
        sa.Column("event_types", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "secret_sealed", sa.LargeBinary(), nullable=False, comment="the whsec_ signing secret, sealed"
        ),
        sa.Column("previous_secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column(
            "previous_secret_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the rotated-out secret also signs until then",
        ),
        sa.Column(
            "credentials_sealed", sa.LargeBinary(), nullable=True, comment="an adapter's tokens, sealed"
        ),
        sa.Column(
            "settings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="{}",
            nullable=False,
            comment="an adapter's settings: owner maps, client id",
        ),
        sa.Column("paused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column(
            "failing_since",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the first failure since the last success",
        ),
        sa.Column(
            "leased_until",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the instance sending its deliveries holds it until then",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_table(
        "crm_records",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Text(), nullable=False, comment="the contact's or Lead's id in the CRM"),
        sa.Column("related_id", sa.Text(), nullable=True, comment="HubSpot's Lead object beside the contact"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_crm_records_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "lead_id", name=op.f("pk_crm_records")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column(
            "event_id",
            sa.Uuid(),
            nullable=False,
            comment="the event's envelope id: the delivery's webhook-id",
        ),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="null once the person is erased",
        ),
        sa.Column("status", sa.Text(), nullable=False, comment="pending | delivered | failed | skipped"),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True, comment="the last answer's HTTP status"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True, comment="the record id a CRM answered with"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_deliveries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["subscription_id", "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_deliveries_lead_id", "deliveries", ["lead_id"], unique=False)
    op.create_index("ix_deliveries_order", "deliveries", ["subscription_id", "lead_id", "id"], unique=False)
    op.create_index(
        "uq_deliveries_subscription_id_event_id", "deliveries", ["subscription_id", "event_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_deliveries_subscription_id_event_id", table_name="deliveries")
    op.drop_index("ix_deliveries_order", table_name="deliveries")
    op.drop_index("ix_deliveries_lead_id", table_name="deliveries")
    op.drop_index(
        "ix_deliveries_due", table_name="deliveries", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_table("deliveries")
    op.drop_table("crm_records")
    op.drop_table("subscriptions")
    op.drop_table("lead_cards")
