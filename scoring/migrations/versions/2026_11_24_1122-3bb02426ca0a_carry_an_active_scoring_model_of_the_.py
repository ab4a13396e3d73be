"""carry an active scoring model of the old format over to the new default

Revision ID: 3bb02426ca0a
Revises: 5678913fed64
Create Date: 2026-11-24 11:22:59.483180
"""

import json
import tomllib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3bb02426ca0a"
down_revision: str | None = "5678913fed64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Scoring models before this release had no engagement levels and scored touches as facts;
    the new scorer cannot read them. When such a model is the active one, the default shipped
    now becomes a new version and is activated (versions never change, so the old one stays,
    readable, in the history)."""
    from scoring.domain.model import DEFAULT_MODEL  # the file as shipped with this release

    conn = op.get_bind()
    active = conn.execute(
        sa.text(
            "SELECT v.version, v.document FROM policy_activations a "
            "JOIN policy_versions v ON v.kind = a.kind AND v.version = a.version "
            "WHERE a.kind = 'scoring-model' ORDER BY a.id DESC LIMIT 1"
        )
    ).first()
    if active is None or "levels" in active.document:
        return
    source = DEFAULT_MODEL.read_text()
    version = conn.execute(
        sa.text("SELECT max(version) + 1 FROM policy_versions WHERE kind = 'scoring-model'")
    ).scalar_one()
    conn.execute(
        sa.text(
            "INSERT INTO policy_versions (kind, version, document, source, format, note) "
            "VALUES ('scoring-model', :version, CAST(:document AS jsonb), :source, 'toml', :note)"
        ),
        {
            "version": version,
            "document": json.dumps(tomllib.loads(source)),
            "source": source,
            "note": f"the default of the new model format, replacing version {active.version} (old format)",
        },
    )
    conn.execute(
        sa.text(
            "INSERT INTO policy_activations (kind, version, action, note) "
            "VALUES ('scoring-model', :version, 'activate', 'migration: the old model format cannot be read')"
        ),
        {"version": version},
    )
    # and every lead re-scored under it by the first scoring instance that starts
    conn.execute(
        sa.text("INSERT INTO rescore_jobs (version, total) SELECT :version, count(*) FROM lead_profiles"),
        {"version": version},
    )


def downgrade() -> None:
    """Nothing to undo: versions and activations are history."""
