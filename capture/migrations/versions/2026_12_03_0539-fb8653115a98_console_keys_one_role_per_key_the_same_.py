"""console keys, one role per key, the same at every service

Revision ID: fb8653115a98
Revises: ac2662add03e
Create Date: 2026-12-03 05:39:50.872430
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "fb8653115a98"
down_revision: str | None = "ac2662add03e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_keys",
        sa.Column("id", sa.UUID(), nullable=False, comment="the same id at every service"),
        sa.Column("name", sa.Text(), nullable=False, comment="who or what holds the key"),
        sa.Column("role", sa.Text(), nullable=False, comment="viewer | operator | admin"),
        sa.Column("personal_data", sa.Boolean(), nullable=False, comment="may read personal data unmasked"),
        sa.Column("key_hash", sa.Text(), nullable=False, comment="SHA-256 of the key; never the key"),
        sa.Column(
            "prefix", sa.Text(), nullable=False, comment="the key's first characters, to tell keys apart"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_console_keys_key_hash")),
    )


def downgrade() -> None:
    op.drop_table("console_keys")
