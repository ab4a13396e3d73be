"""who saved a policy version

Revision ID: 58005a0f6955
Revises: 3f140c9795d9
Create Date: 2026-12-03 07:23:37.999821
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "58005a0f6955"
down_revision: str | None = "3f140c9795d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_versions",
        sa.Column("created_by", sa.Text(), nullable=True, comment="who saved it: a key's name or the CLI"),
    )


def downgrade() -> None:
    op.drop_column("policy_versions", "created_by")
