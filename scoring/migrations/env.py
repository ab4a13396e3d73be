from scoring.db.tables import metadata
from scoring.settings import ScoringSettings
from leadkit.migrations import run_migrations

run_migrations(metadata, ScoringSettings().database_url)
