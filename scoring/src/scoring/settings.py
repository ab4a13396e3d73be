"""scoring's settings: `SCORING_*` variables (docs/configuration.md)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings
from scoring.domain.model import DEFAULT_MODEL as DEFAULT_RULES


class ScoringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", extra="ignore")

    database_url: str = "postgresql+asyncpg://scoring:scoring@127.0.0.1:5432/scoring?ssl=disable"
    port: int = 8002
    # scoring is on the way to `lead.qualified`: a fetch under load is answered once about ten
    # captures have come (a `lead.captured` is about 1.6 KB on the broker), at most 100 ms — a tenth
    # of a second's leads a poll at 100 leads/s, a thirtieth at 300, where each hop's wait is latency
    consumer_gather_ms: int | None = Field(default=100, ge=0, le=5_000)
    consumer_gather_bytes: int = Field(default=16_000, ge=1, le=64 * 1_048_576)
    # the model an empty database starts with (version 1); later versions are managed through
    # /v1/scoring/models and `leadloop scoring models`
    rules_file: Path = DEFAULT_RULES
    decay_poll_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="the longest the decay worker rests: it sleeps until the next lead's decay is due, "
        "woken sooner by what this instance scores; a decay another instance wrote, whose worker has gone, "
        "comes at most this late",
    )
    rescore_poll_seconds: float = Field(
        default=1.0, gt=0, description="how often an idle instance looks for a re-score job (one read)"
    )
    rescore_batch_size: int = Field(default=2000, gt=0, description="leads per re-score transaction")
    # the classifier is fitted only on at least this many leads with an outcome, of which at least
    # `learning_min_conversions` reached SQL (Salesforce Einstein asks 1,000 and 120)
    learning_min_leads: int = Field(default=200, gt=1)
    learning_min_conversions: int = Field(default=20, gt=0)
    learning_interval_seconds: float = Field(
        default=3600, gt=0, description="how often to refit when outcomes grew"
    )
    # a rule is named as contradicted only when at least this many of its leads have outcomes
    insights_min_rule_outcomes: int = Field(default=10, gt=0)
