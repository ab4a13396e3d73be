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
    # routing writes `lead.qualified`: a fetch under load is answered once about eight scores have
    # come (a `lead.scored` is about 2 KB on the broker), at most 100 ms — many events a poll at
    # 100 leads/s, and a short wait at 300, where each hop's wait is latency
    consumer_gather_ms: int | None = Field(default=100, ge=0, le=5_000)
    consumer_gather_bytes: int = Field(default=16_000, ge=1, le=64 * 1_048_576)
    config_file: Path = DEFAULT_CONFIG
    policy_file: Path = DEFAULT_POLICY
    queue_poll_seconds: float = 10.0
