"""who activated or rolled back a policy version

Revision ID: 3f140c9795d9
Revises: aada1d09abef
Create Date: 2026-12-03 06:34:45.351053
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f140c9795d9"
down_revision: str | None = "aada1d09abef"
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
