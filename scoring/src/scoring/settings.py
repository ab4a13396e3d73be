"""scoring's settings: `SCORING_*` variables (README.md, Configuration)."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings

DEFAULT_RULES = Path(__file__).parent / "rules" / "default.toml"


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://scoring:scoring@127.0.0.1:5432/scoring?ssl=disable"
    port: int = 8002
    rules_file: Path = DEFAULT_RULES
