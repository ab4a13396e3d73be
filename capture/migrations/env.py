from capture.db.tables import metadata
from capture.settings import CaptureSettings
from leadkit.migrations import run_migrations

run_migrations(metadata, CaptureSettings().database_url)
