"""scoring's settings: `SCORING_*` variables (README.md, Configuration)."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings
from scoring.domain.model import DEFAULT_MODEL as DEFAULT_RULES


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://scoring:scoring@127.0.0.1:5432/scoring?ssl=disable"
    port: int = 8002
    # the model an empty database starts with (version 1); later versions are managed through
    # /v1/scoring/models and `leadloop scoring models`
    rules_file: Path = DEFAULT_RULES
