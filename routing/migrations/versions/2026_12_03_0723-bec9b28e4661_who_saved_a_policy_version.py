"""who saved a policy version

Revision ID: bec9b28e4661
Revises: c60d1477302f
Create Date: 2026-12-03 07:23:40.858062
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bec9b28e4661"
down_revision: str | None = "c60d1477302f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_versions",
        sa.Column("created_by", sa.Text(), nullable=True, comment="who saved it: a key's name or the CLI"),
    )


def downgrade() -> None:
    op.drop_column("policy_versions", "created_by")
