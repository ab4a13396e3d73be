"""aggregates kept per day and month by the projection handler

Revision ID: b3b97574db49
Revises: fd1223d84733
Create Date: 2026-12-03 08:13:20.915762
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b3b97574db49"
down_revision: str | None = "fd1223d84733"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # derived tables: dropped and made in their new shape, empty; reporting counts them again from
    # the projection when it starts (aggregates_built holds no version yet)
    for table in (
        "funnel_days",
        "funnel_months",
        "funnel_dirty",
        "attribution_dirty",
        "aggregate_costs",
        "attribution_credits",
        "attribution_transitions",
        "attribution_sets",
    ):
        op.drop_table(table)
    op.create_table(
        "aggregates_built",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_aggregates_built")),
    )
    op.create_table(
        "funnel_cells",
        sa.Column("grain", sa.Text(), nullable=False, comment="day or month (UTC)"),
        sa.Column("dimension", sa.Text(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("leads", sa.BigInteger(), nullable=False),
        sa.Column("mqls", sa.BigInteger(), nullable=False),
        sa.Column("sals", sa.BigInteger(), nullable=False),
        sa.Column("sqls", sa.BigInteger(), nullable=False),
        sa.Column("opportunities", sa.BigInteger(), nullable=False),
        sa.Column("won", sa.BigInteger(), nullable=False),
        sa.Column("lost", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("recycled", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("grain", "dimension", "period", "key", name=op.f("pk_funnel_cells")),
    )
    op.create_table(
        "funnel_spans",
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("dimension", sa.Text(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("step", sa.SmallInteger(), nullable=False),
        sa.Column("counts", postgresql.ARRAY(sa.Integer()), nullable=False, comment="one per bucket"),
        sa.PrimaryKeyConstraint("grain", "dimension", "period", "key", "step", name=op.f("pk_funnel_spans")),
    )
    op.create_table(
        "attribution_credits",
        sa.Column("grain", sa.Text(), nullable=False, comment="day (UTC)"),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("conversions", sa.Double(), nullable=False),
        sa.Column("revenue_share", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "outcome", "key_type", "period", "model", "key", name=op.f("pk_attribution_credits")
        ),
    )
    op.create_table(
        "attribution_transitions",
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=False),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain",
            "outcome",
            "key_type",
            "period",
            "from_state",
            "to_state",
            name=op.f("pk_attribution_transitions"),
        ),
    )
    op.create_table(
        "attribution_sets",
        sa.Column("grain", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("period", sa.DateTime(timezone=True), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False, comment="sorted, joined by U+001F"),
        sa.Column("journeys", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "outcome", "key_type", "period", "keys", name=op.f("pk_attribution_sets")
        ),
    )


def downgrade() -> None:
    # the old shape, empty: mark every day for the old refresher to count (it reads the marks)
    for table in (
        "funnel_spans",
        "funnel_cells",
        "aggregates_built",
        "attribution_credits",
        "attribution_transitions",
        "attribution_sets",
    ):
        op.drop_table(table)
    op.create_table(
        "funnel_months",
        sa.Column("dimension", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("month", sa.DATE(), autoincrement=False, nullable=False, comment="its first day"),
        sa.Column("key", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("counts", postgresql.ARRAY(sa.BIGINT()), autoincrement=False, nullable=False),
        sa.Column("revenue", sa.NUMERIC(precision=18, scale=2), autoincrement=False, nullable=False),
        sa.Column("spans", postgresql.BYTEA(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("dimension", "month", "key", name=op.f("pk_funnel_months")),
    )
    op.create_table(
        "funnel_dirty",
        sa.Column("day", sa.DATE(), autoincrement=False, nullable=False),
        sa.Column(
            "marked_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            autoincrement=False,
            nullable=False,
            comment="the first mark since the last refresh",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_funnel_dirty")),
    )
    op.create_table(
        "attribution_dirty",
        sa.Column("day", sa.DATE(), autoincrement=False, nullable=False),
        sa.Column(
            "marked_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            autoincrement=False,
            nullable=False,
            comment="the first mark since the last refresh",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_attribution_dirty")),
    )
    op.create_table(
        "aggregate_costs",
        sa.Column("kind", sa.TEXT(), autoincrement=False, nullable=False, comment="attribution or funnel"),
        sa.Column("day", sa.DATE(), autoincrement=False, nullable=False),
        sa.Column("seconds", sa.DOUBLE_PRECISION(precision=53), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", name=op.f("pk_aggregate_costs")),
    )
    op.create_table(
        "funnel_days",
        sa.Column("dimension", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("day", sa.DATE(), autoincrement=False, nullable=False),
        sa.Column("key", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column(
            "counts",
            postgresql.ARRAY(sa.BIGINT()),
            autoincrement=False,
            nullable=False,
            comment="leads, mqls, sals, sqls, opportunities, won, lost, rejected, recycled",
        ),
        sa.Column("revenue", sa.NUMERIC(precision=18, scale=2), autoincrement=False, nullable=False),
        sa.Column(
            "spans",
            postgresql.BYTEA(),
            autoincrement=False,
            nullable=False,
            comment="sparse (step u1, bucket u2, count u4) records",
        ),
        sa.PrimaryKeyConstraint("dimension", "day", "key", name=op.f("pk_funnel_days")),
    )
    op.create_table(
        "attribution_credits",
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("conversions", sa.Double(), nullable=False),
        sa.Column("revenue_share", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint(
            "outcome", "key_type", "day", "model", "key", name=op.f("pk_attribution_credits")
        ),
    )
    op.create_table(
        "attribution_transitions",
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=False),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "outcome", "key_type", "day", "from_state", "to_state", name=op.f("pk_attribution_transitions")
        ),
    )
    op.create_table(
        "attribution_sets",
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("key_type", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("outcome", "key_type", "day", "keys", name=op.f("pk_attribution_sets")),
    )
    op.execute(
        "INSERT INTO funnel_dirty (day)"
        " SELECT DISTINCT (captured_at AT TIME ZONE 'UTC')::date FROM lead_funnel"
        " WHERE captured_at IS NOT NULL"
    )
    op.execute(
        "INSERT INTO attribution_dirty (day) SELECT DISTINCT (d AT TIME ZONE 'UTC')::date FROM lead_funnel,"
        " unnest(ARRAY[last_touch_at, won_at, opportunity_at, sql_at, mql_at]) AS d WHERE d IS NOT NULL"
    )
