"""tombstones of erased people

Revision ID: 591f47754eb6
Revises: 33d69b460055
Create Date: 2026-12-02 13:39:50.955653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "591f47754eb6"
down_revision: str | None = "33d69b460055"
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
    # the people erased before tombstones: their facts were replaced by the erased marker
    op.execute(
        "INSERT INTO erased_leads (lead_id, erased_at) "
        "SELECT lead_id, updated_at FROM lead_profiles WHERE facts->>'erased' = 'true'"
    )


def downgrade() -> None:
    op.drop_table("erased_leads")
