"""sla-monitor's settings: `SLA_MONITOR_*` variables (docs/configuration.md)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings
from sla_monitor.parts import DEFAULT_POLICY


class SlaMonitorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_MONITOR_", extra="ignore")

    database_url: str = "postgresql+asyncpg://sla_monitor:sla_monitor@127.0.0.1:5432/sla_monitor?ssl=disable"
    port: int = 8004
    # clocks run in minutes; deliveries are wanted within a quarter of a second: under load
    # sla-monitor's fetches gather 50 ms, so a poll carries many events into one transaction
    consumer_gather_ms: int | None = Field(default=50, ge=0, le=5_000)
    policy_file: Path = Field(
        default=DEFAULT_POLICY, description="The SLA policy an empty database starts with (version 1)."
    )
    timer_poll_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="The longest the timer sweep rests: it sleeps until the next timer is due, woken "
        "sooner by this instance's new clocks; a clock another instance started, whose sweep has gone, "
        "fires at most this late.",
    )
    delivery_sealing_key: SecretStr = Field(
        default=SecretStr(""),
        description="32 random bytes, base64: seals subscriptions' secrets at rest (`make up` writes it)",
    )
    delivery_allow_http: bool = Field(
        default=False, description="Allow http:// endpoints (development, tests)"
    )
    delivery_allowed_networks: str = Field(
        default="",
        description="CIDRs deliveries may reach though not public, comma-separated: 127.0.0.1/32",
    )
    delivery_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often due deliveries are looked for"
    )
    # a task per subscription is cheap, and a hanging or paced one holds its slot for up to 30 s
    delivery_concurrency: int = Field(default=32, ge=1, le=256, description="Subscriptions sent to at once")
    delivery_pool_size: int = Field(
        default=6, ge=1, le=64, description="The delivery worker's own connections"
    )

    delivery_process: bool = Field(
        default=True, description="Run the delivery worker in a process of its own (off: in the service's)"
    )
    delivery_retention_days: int = Field(
        default=30, ge=1, le=3650, description="Delivered and skipped deliveries are deleted after this"
    )

    def sealing_key(self) -> str:
        return self.delivery_sealing_key.get_secret_value()

    def delivery_allowed_network_list(self) -> list[str]:
        return [cidr.strip() for cidr in self.delivery_allowed_networks.split(",") if cidr.strip()]
