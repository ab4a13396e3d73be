"""why a rep's availability switch moved

Revision ID: 58f06fbcc42f
Revises: 16919a517cf9
Create Date: 2026-12-03 04:37:49.157000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "58f06fbcc42f"
down_revision: str | None = "16919a517cf9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reps",
        sa.Column(
            "availability_reason",
            sa.Text(),
            nullable=True,
            comment="why the switch was last moved, as given (PUT /v1/reps/{id}/availability)",
        ),
    )


def downgrade() -> None:
    op.drop_column("reps", "availability_reason")
