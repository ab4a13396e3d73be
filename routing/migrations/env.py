from leadkit.migrations import run_migrations
from routing.db.tables import metadata
from routing.settings import RoutingSettings

run_migrations(metadata, RoutingSettings().database_url)
