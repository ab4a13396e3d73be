"""reporting's settings: `REPORTING_*` variables (README.md, Configuration)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://reporting:reporting@127.0.0.1:5432/reporting?ssl=disable"
    port: int = 8005
    aggregate_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often days whose attribution aggregates are behind are looked for"
    )
    aggregate_settle_seconds: float = Field(
        default=60.0, ge=0, description="How long a changed day waits before its aggregates are recomputed"
    )
