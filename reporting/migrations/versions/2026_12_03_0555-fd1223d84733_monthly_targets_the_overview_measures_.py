"""monthly targets the overview measures against

Revision ID: fd1223d84733
Revises: f30fc835720b
Create Date: 2026-12-03 05:55:54.443017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fd1223d84733"
down_revision: str | None = "f30fc835720b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("month", sa.Date(), nullable=False, comment="the first of the month"),
        sa.Column("leads", sa.Integer(), nullable=True),
        sa.Column("mqls", sa.Integer(), nullable=True),
        sa.Column("sqls", sa.Integer(), nullable=True),
        sa.Column("won", sa.Integer(), nullable=True),
        sa.Column("revenue", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_by", sa.Text(), nullable=False, comment="the key's name (a console key) or system-<n>"
        ),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_targets")),
    )


def downgrade() -> None:
    op.drop_table("targets")
