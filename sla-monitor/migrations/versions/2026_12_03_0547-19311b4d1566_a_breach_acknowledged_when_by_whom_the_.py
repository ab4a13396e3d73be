"""a breach acknowledged: when, by whom, the note

Revision ID: 19311b4d1566
Revises: c57c9d5a0d94
Create Date: 2026-12-03 05:47:26.083892
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "19311b4d1566"
down_revision: str | None = "c57c9d5a0d94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "timers",
        sa.Column(
            "acknowledged_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="a breach acknowledged by a manager: when",
        ),
    )
    op.add_column(
        "timers",
        sa.Column(
            "acknowledged_by", sa.Text(), nullable=True, comment="the console key's name or system-<n>"
        ),
    )
    op.add_column(
        "timers",
        sa.Column(
            "acknowledgement",
            sa.Text(),
            nullable=True,
            comment="the manager's note (erased with the person: it may name them)",
        ),
    )
    op.create_index(
        "ix_timers_breached_closed_at",
        "timers",
        ["closed_at"],
        unique=False,
        postgresql_where=sa.text("status = 'breached'"),
    )
    op.create_index(
        "ix_timers_breached_due_at",
        "timers",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'breached'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_timers_breached_due_at", table_name="timers", postgresql_where=sa.text("status = 'breached'")
    )
    op.drop_index(
        "ix_timers_breached_closed_at", table_name="timers", postgresql_where=sa.text("status = 'breached'")
    )
    op.drop_column("timers", "acknowledgement")
    op.drop_column("timers", "acknowledged_by")
    op.drop_column("timers", "acknowledged_at")
