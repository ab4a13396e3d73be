"""who activated or rolled back a policy version

Revision ID: 40342e3fbc45
Revises: 19311b4d1566
Create Date: 2026-12-03 06:34:48.721111
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "40342e3fbc45"
down_revision: str | None = "19311b4d1566"
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
