"""capture's settings: `CAPTURE_*` variables (README.md, Configuration)."""

from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class CaptureSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CAPTURE_", extra="ignore")

    database_url: str = "postgresql+asyncpg://capture:capture@127.0.0.1:5432/capture"
    port: int = 8001
