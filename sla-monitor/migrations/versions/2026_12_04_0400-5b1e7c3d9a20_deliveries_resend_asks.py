"""deliveries: how many times an operator asked to send one again (a resend or replay in flight)

Revision ID: 5b1e7c3d9a20
Revises: e3ea94a1d950
Create Date: 2026-12-04 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7c3d9a20"
down_revision: str | None = "e3ea94a1d950"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column(
            "resend_asks",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="how many times an operator asked to send it again",
        ),
    )


def downgrade() -> None:
    op.drop_column("deliveries", "resend_asks")
