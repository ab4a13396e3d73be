"""deliveries: payload as text

Revision ID: d5a97be84bf0
Revises: 9f03dfe29b4e
Create Date: 2026-12-02 19:33:33.816387
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d5a97be84bf0"
down_revision: str | None = "9f03dfe29b4e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "deliveries",
        "payload",
        existing_type=postgresql.JSONB(astext_type=sa.Text()),
        type_=sa.Text(),
        postgresql_using="payload::text",
        comment="the body sent; null once the person is erased",
        existing_comment="null once the person is erased",
        existing_nullable=True,
    )


def downgrade() -> None:
    op.alter_column(
        "deliveries",
        "payload",
        existing_type=sa.Text(),
        type_=postgresql.JSONB(astext_type=sa.Text()),
        postgresql_using="payload::jsonb",
        comment="null once the person is erased",
        existing_comment="the body sent; null once the person is erased",
        existing_nullable=True,
    )
