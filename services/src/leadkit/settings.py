"""Settings read from the environment (pydantic-settings); every name is in docs/configuration.md."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LeadloopSettings(BaseSettings):
    """What every service shares: `LEADLOOP_*` variables."""

    model_config = SettingsConfigDict(env_prefix="LEADLOOP_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = Field(
        default="",
        description="Prepended to every Kafka topic and consumer group, to run isolated systems on one "
        "cluster (the test suite uses `test.`). Event `type`s never carry it.",
    )
    api_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Comma-separated system keys accepted in `X-API-Key`; each has every scope.",
    )
    fetch_max_wait_ms: int = Field(
        default=10,
        ge=0,
        description="Longest a consumer's fetch waits for `fetch_min_bytes` to gather: the latency a "
        "quiet pipeline pays per hop.",
    )
    fetch_min_bytes: int = Field(
        default=64 * 1024, ge=1, description="A fetch returns early once this much has gathered."
    )
    fetch_idle_wait_ms: int = Field(
        default=5000,
        ge=1,
        le=30_000,
        description="A consumer that has read nothing for a second long-polls this long instead "
        "(answered as soon as one event arrives): an idle system rests.",
    )
    offset_commit_interval_ms: int = Field(
        default=1000,
        ge=0,
        le=60_000,
        description="How often a busy consumer commits its offsets (0: after every poll); a quiet poll, a "
        "rebalance and a stop commit at once. The inbox makes what a crash redelivers a no-op.",
    )
    relay_pass_pace_ms: int = Field(
        default=20,
        ge=0,
        le=1000,
        description="Shortest time between the starts of two relay passes: under a stream of single "
        "leads a pass (a statement and a produce request) carries several; a row after a quiet spell "
        "goes at once. The latency a busy hop adds, at most.",
    )
    relay_request_gather_ms: int = Field(
        default=50,
        ge=0,
        le=1000,
        description="How long after the last relay pass began the next may wait for "
        "`relay_request_gather` commits of single requests (a lead posted on its own) to share it; "
        "other commits are not held. The latency a lead posted alone adds, at most.",
    )
    relay_request_gather: int = Field(
        default=8, ge=1, le=10_000, description="Single-request commits that start a relay pass at once."
    )
    producer_linger_ms: int = Field(
        default=5, ge=0, description="How long the relay's producer gathers messages into one request."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or CIDR ranges) of the proxies in front of the services. "
        "Only a request arriving from one of them has its client address read from X-Forwarded-For; "
        "empty (the default): the header is ignored and the peer's address is the client's.",
    )
    console_origins: str = Field(
        default="http://127.0.0.1:8005,http://localhost:8005",
        description="Comma-separated origins the console is served from (reporting's `/console`): a "
        "browser there may call this service's API (CORS, the `X-API-Key` header, no cookies). Empty: "
        "no other origin may.",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    def api_key_list(self) -> list[str]:
        return [key.strip() for key in self.api_keys.get_secret_value().split(",") if key.strip()]

    def console_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.console_origins.split(",") if origin.strip()]


class ServiceSettings(BaseSettings):
    """One service's own settings; each subclass sets its `env_prefix` (`CAPTURE_`, …)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str
    host: str = "127.0.0.1"
    port: int
    db_pool_size: int = 10
    consumer_max_attempts: int = Field(default=5, ge=1, description="Tries per event before the DLQ.")
    consumer_backoff_seconds: float = Field(default=0.2, gt=0, description="First retry delay; doubles.")
    consumer_batch_size: int = Field(default=500, ge=1)
    consumer_gather_ms: int | None = Field(
        default=None,
        ge=0,
        le=5_000,
        description="The longest this service's fetches gather events under load (none: "
        "LEADLOOP_FETCH_MAX_WAIT_MS), answered sooner once `consumer_gather_bytes` have come: many "
        "events a poll, fewer and larger transactions.",
    )
    consumer_gather_bytes: int = Field(
        default=1 << 20,
        ge=1,
        le=64 * 1_048_576,
        description="With `consumer_gather_ms`: a fetch returns as soon as this much has gathered, "
        "before the gather's time is up.",
    )
    relay_poll_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often a relay standing by tries the lock; the active relay is woken by committed "
        "rows (in memory or NOTIFY) and polls only as a safety net, every 10 s or this if longer",
    )
    relay_batch_size: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, le=64 * 1_048_576, description="Larger request bodies get 413"
    )
    auth_failures_per_minute: float = Field(
        default=30,
        gt=0,
        le=100_000,
        description="Failed authentications (401) per client address per minute before it gets 429",
    )
    leadloop: LeadloopSettings = Field(default_factory=LeadloopSettings)
