"""reps routing announces

Revision ID: 8310608d9daf
Revises: d5a97be84bf0
Create Date: 2026-12-03 03:20:13.441655
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8310608d9daf"
down_revision: str | None = "d5a97be84bf0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reps",
        sa.Column("rep_id", sa.Text(), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, comment="the event's occurred_at"
        ),
        sa.PrimaryKeyConstraint("rep_id", name=op.f("pk_reps")),
    )


def downgrade() -> None:
    op.drop_table("reps")
