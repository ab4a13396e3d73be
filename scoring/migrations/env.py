from leadkit.migrations import run_migrations
from scoring.db.tables import metadata
from scoring.settings import ScoringSettings

run_migrations(metadata, ScoringSettings().database_url)
