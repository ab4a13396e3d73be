from leadkit.migrations import run_migrations
from reporting.db.tables import metadata
from reporting.settings import ReportingSettings

run_migrations(metadata, ReportingSettings().database_url)
