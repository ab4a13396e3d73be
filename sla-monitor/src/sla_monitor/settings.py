"""sla-monitor's settings: `SLA_MONITOR_*` variables (README.md, Configuration)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class SlaMonitorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_MONITOR_", extra="ignore")

    database_url: str = "postgresql+asyncpg://sla_monitor:sla_monitor@127.0.0.1:5432/sla_monitor?ssl=disable"
    port: int = 8004
    accept_minutes: float = Field(default=30, gt=0, description="Time a new owner has to accept a lead.")
    max_reassignments: int = Field(
        default=2, ge=0, description="Reassignments after accept breaches before the lead is recycled."
    )
    warn_share: float = Field(
        default=0.8,
        ge=0,
        lt=1,
        description="Warn the owner (lead.sla_warned) when this share of a clock is gone; 0: never",
    )
    timer_poll_seconds: float = Field(default=1.0, gt=0, description="How often due timers are looked for.")
