"""reporting's settings: `REPORTING_*` variables (README.md, Configuration)."""

from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://reporting:reporting@127.0.0.1:5432/reporting?ssl=disable"
    port: int = 8005
