"""API keys in the kit's one key store: capture's api_keys table is the kit's

Revision ID: ac2662add03e
Revises: 9479fd91d3dc
Create Date: 2026-12-02 15:26:15.825421
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ac2662add03e"
down_revision: str | None = "9479fd91d3dc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the rows stay where they are: the kit's table is capture's, with `source` optional (a sales
    # tool's key has none) and scopes always given by the store (no column default)
    op.alter_column("api_keys", "scopes", server_default=None, existing_type=sa.ARRAY(sa.Text()))
    op.alter_column(
        "api_keys",
        "source",
        existing_type=sa.TEXT(),
        nullable=True,
        comment="capture: touches posted with this key get this source",
        existing_comment="touches posted with this key get this source",
    )
    op.alter_column(
        "api_keys",
        "key_hash",
        existing_type=sa.TEXT(),
        comment="SHA-256 of the key; never the key",
        existing_nullable=False,
    )
    op.alter_column(
        "api_keys",
        "prefix",
        existing_type=sa.TEXT(),
        comment="the key's first characters, to tell keys apart",
        existing_comment="first characters, to recognise a key in lists",
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column("api_keys", "scopes", server_default="{ingest}", existing_type=sa.ARRAY(sa.Text()))
    op.alter_column(
        "api_keys",
        "prefix",
        existing_type=sa.TEXT(),
        comment="first characters, to recognise a key in lists",
        existing_comment="the key's first characters, to tell keys apart",
        existing_nullable=False,
    )
    op.alter_column(
        "api_keys",
        "key_hash",
        existing_type=sa.TEXT(),
        comment=None,
        existing_comment="SHA-256 of the key; never the key",
        existing_nullable=False,
    )
    op.alter_column(
        "api_keys",
        "source",
        existing_type=sa.TEXT(),
        nullable=False,
        comment="touches posted with this key get this source",
        existing_comment="capture: touches posted with this key get this source",
    )
