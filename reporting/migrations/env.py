from reporting.db.tables import metadata
from reporting.settings import ReportingSettings
from leadkit.migrations import run_migrations

run_migrations(metadata, ReportingSettings().database_url)
