"""API keys in the kit's one key store: sales tools' keys move from tool_keys to api_keys

Revision ID: 8c2a4ea21cbe
Revises: 54707d153472
Create Date: 2026-12-02 15:26:17.722927
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8c2a4ea21cbe"
down_revision: str | None = "54707d153472"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "source",
            sa.Text(),
            nullable=True,
            comment="capture: touches posted with this key get this source",
        ),
        sa.Column("key_hash", sa.Text(), nullable=False, comment="SHA-256 of the key; never the key"),
        sa.Column(
            "prefix", sa.Text(), nullable=False, comment="the key's first characters, to tell keys apart"
        ),
        sa.Column(
            "scopes", postgresql.ARRAY(sa.Text()), nullable=False, comment="progress (a sales tool's key)"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    # every sales tool's key moves, revoked ones too (their history), with the same hash and prefix
    op.execute(
        "INSERT INTO api_keys (id, name, key_hash, prefix, scopes, created_at, revoked_at) "
        "SELECT id, name, key_hash, prefix, scopes, created_at, revoked_at FROM tool_keys"
    )
    op.drop_table("tool_keys")


def downgrade() -> None:
    op.create_table(
        "tool_keys",
        sa.Column("id", sa.UUID(), autoincrement=False, nullable=False),
        sa.Column("name", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column("key_hash", sa.TEXT(), autoincrement=False, nullable=False),
        sa.Column(
            "prefix",
            sa.TEXT(),
            autoincrement=False,
            nullable=False,
            comment="the key's first characters, to tell keys apart",
        ),
        sa.Column("scopes", postgresql.ARRAY(sa.TEXT()), autoincrement=False, nullable=False),
        sa.Column("created_at", postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=False),
        sa.Column("revoked_at", postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tool_keys")),
        sa.UniqueConstraint(
            "key_hash",
            name=op.f("uq_tool_keys_key_hash"),
            postgresql_include=[],
            postgresql_nulls_not_distinct=False,
        ),
    )
    op.execute(
        "INSERT INTO tool_keys (id, name, key_hash, prefix, scopes, created_at, revoked_at) "
        "SELECT id, name, key_hash, prefix, scopes, created_at, revoked_at FROM api_keys"
    )
    op.drop_table("api_keys")
