"""spam releases: a false positive released by an operator becomes a lead

Revision ID: e1daf6b7480c
Revises: ca78c8c9997b
Create Date: 2026-11-22 22:25:55.112890
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1daf6b7480c"
down_revision: str | None = "ca78c8c9997b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("spam_submissions", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("spam_submissions", sa.Column("released_lead_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    op.drop_column("spam_submissions", "released_lead_id")
    op.drop_column("spam_submissions", "released_at")
