"""who activated or rolled back a policy version

Revision ID: c60d1477302f
Revises: a85a98114116
Create Date: 2026-12-03 06:34:46.882507
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c60d1477302f"
down_revision: str | None = "a85a98114116"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "policy_activations",
        sa.Column(
            "activated_by",
            sa.Text(),
            nullable=True,
            comment="who: a key's name or the CLI; null: the default",
        ),
    )


def downgrade() -> None:
    op.drop_column("policy_activations", "activated_by")
