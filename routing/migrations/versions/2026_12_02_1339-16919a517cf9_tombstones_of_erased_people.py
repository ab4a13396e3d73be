"""tombstones of erased people

Revision ID: 16919a517cf9
Revises: d2a8d0186138
Create Date: 2026-12-02 13:39:52.362122
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "16919a517cf9"
down_revision: str | None = "d2a8d0186138"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_leads",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_erased_leads")),
        comment="people who asked to be forgotten: no event may store their personal data again",
    )


def downgrade() -> None:
    op.drop_table("erased_leads")
