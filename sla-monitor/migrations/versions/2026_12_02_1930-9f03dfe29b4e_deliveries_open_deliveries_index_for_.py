"""deliveries: open-deliveries index for the order rule, listing index

Revision ID: 9f03dfe29b4e
Revises: 3b6fe9071808
Create Date: 2026-12-02 19:30:43.076504
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9f03dfe29b4e"
down_revision: str | None = "3b6fe9071808"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_deliveries_order"), table_name="deliveries")
    op.create_index(
        "ix_deliveries_open",
        "deliveries",
        ["subscription_id", "lead_id", "id"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.create_index("ix_deliveries_subscription_id_id", "deliveries", ["subscription_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_subscription_id_id", table_name="deliveries")
    op.drop_index(
        "ix_deliveries_open",
        table_name="deliveries",
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.create_index(
        op.f("ix_deliveries_order"), "deliveries", ["subscription_id", "lead_id", "id"], unique=False
    )
