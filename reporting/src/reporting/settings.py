"""reporting's settings: `REPORTING_*` variables (docs/configuration.md)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://reporting:reporting@127.0.0.1:5432/reporting?ssl=disable"
    port: int = 8005
    # reporting is on no lead's way to sales: its fetches gather a second, so under load a poll
    # carries hundreds of events into one transaction and one aggregate delta (a poll's span upsert
    # costs about the same for 30 events as for 300: 0.52 ms a lead at 100 leads/s with a quarter
    # of a second, 0.36 with a second)
    consumer_gather_ms: int | None = Field(default=1000, ge=0, le=5_000)
    console_api_urls: str = Field(
        default=(
            "capture=http://127.0.0.1:8001,scoring=http://127.0.0.1:8002,routing=http://127.0.0.1:8003,"
            "sla-monitor=http://127.0.0.1:8004,reporting=http://127.0.0.1:8005"
        ),
        description="Where the console's browser finds each service's API, `service=URL` comma-separated "
        "(each service must list the console's origin in LEADLOOP_CONSOLE_ORIGINS)",
    )

    def console_api_url_map(self) -> dict[str, str]:
        pairs = (item.partition("=") for item in self.console_api_urls.split(",") if item.strip())
        return {name.strip(): url.strip().rstrip("/") for name, _, url in pairs}
