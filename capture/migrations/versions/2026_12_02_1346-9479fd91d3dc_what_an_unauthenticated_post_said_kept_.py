"""what an unauthenticated post said, kept with its touch

Revision ID: 9479fd91d3dc
Revises: 5ec67c093efa
Create Date: 2026-12-02 13:46:55.870017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9479fd91d3dc"
down_revision: str | None = "5ec67c093efa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "touches",
        sa.Column(
            "submitted",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=True,
            comment="an unauthenticated post's own person fields, kept for review; never merged over",
        ),
    )


def downgrade() -> None:
    op.drop_column("touches", "submitted")
