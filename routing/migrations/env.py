from routing.db.tables import metadata
from routing.settings import RoutingSettings
from leadkit.migrations import run_migrations

run_migrations(metadata, RoutingSettings().database_url)
