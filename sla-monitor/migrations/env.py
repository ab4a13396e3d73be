from leadkit.migrations import run_migrations
from sla_monitor.db.tables import metadata
from sla_monitor.settings import SlaMonitorSettings

run_migrations(metadata, SlaMonitorSettings().database_url)
