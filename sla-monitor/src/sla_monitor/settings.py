"""sla-monitor's settings: `SLA_MONITOR_*` variables (docs/configuration.md)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings
from sla_monitor.parts import DEFAULT_POLICY


class SlaMonitorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_MONITOR_", extra="ignore")

    database_url: str = "postgresql+asyncpg://sla_monitor:sla_monitor@127.0.0.1:5432/sla_monitor?ssl=disable"
    port: int = 8004
    policy_file: Path = Field(
        default=DEFAULT_POLICY, description="The SLA policy an empty database starts with (version 1)."
    )
    timer_poll_seconds: float = Field(default=1.0, gt=0, description="How often due timers are looked for.")
