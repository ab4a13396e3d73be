"""tombstones of erased people

Revision ID: 54707d153472
Revises: 8f52dd43b4bb
Create Date: 2026-12-02 13:39:54.100502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "54707d153472"
down_revision: str | None = "8f52dd43b4bb"
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
