"""quarantine for background workers

Revision ID: 33d69b460055
Revises: 3bb02426ca0a
Create Date: 2026-12-02 13:30:08.519695
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "33d69b460055"
down_revision: str | None = "3bb02426ca0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("worker", sa.Text(), nullable=False, comment="the background loop, e.g. sla-timers"),
        sa.Column("item", sa.Text(), nullable=False, comment="what it claims: a lead id, a day"),
        sa.Column("error", sa.Text(), nullable=False, comment="the last failure, type and message"),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "first_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "last_failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("worker", "item", name=op.f("pk_quarantine")),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
