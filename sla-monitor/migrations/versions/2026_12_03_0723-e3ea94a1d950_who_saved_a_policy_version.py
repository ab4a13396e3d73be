"""who saved a policy version

Revision ID: e3ea94a1d950
Revises: 40342e3fbc45
Create Date: 2026-12-03 07:23:44.094404
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3ea94a1d950"
down_revision: str | None = "40342e3fbc45"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_versions",
        sa.Column("created_by", sa.Text(), nullable=True, comment="who saved it: a key's name or the CLI"),
    )


def downgrade() -> None:
    op.drop_column("policy_versions", "created_by")
