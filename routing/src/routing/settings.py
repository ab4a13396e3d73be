"""routing's settings: `ROUTING_*` variables (docs/configuration.md)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings
from routing.domain.policy import DEFAULT_POLICY

DEFAULT_CONFIG = Path(__file__).parent / "config" / "default.toml"


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://routing:routing@127.0.0.1:5432/routing?ssl=disable"
    port: int = 8003
    # a lead's owner is wanted within minutes, not milliseconds: under load routing's fetches
    # gather a tenth of a second, so a poll carries many events into one transaction
    consumer_gather_ms: int | None = Field(default=100, ge=0, le=5_000)
    config_file: Path = DEFAULT_CONFIG
    policy_file: Path = DEFAULT_POLICY
    queue_poll_seconds: float = 10.0
