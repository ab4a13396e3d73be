"""capture's settings: `CAPTURE_*` variables (docs/configuration.md)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from leadkit.settings import ServiceSettings


class CaptureSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CAPTURE_", extra="ignore")

    database_url: str = "postgresql+asyncpg://capture:capture@127.0.0.1:5432/capture?ssl=disable"
    port: int = 8001
    public_url: str = Field(default="http://127.0.0.1:8001", description="Where browsers reach capture")

    # abuse
    max_body_bytes: int = Field(default=65_536, ge=1024, description="Larger request bodies get 413")
    rate_limit_per_key: float = Field(default=100, gt=0, description="Requests per second per API key")
    rate_limit_per_ip: float = Field(default=200, gt=0, description="Requests per second per client IP")
    form_rate_limit_per_ip: float = Field(default=10, gt=0, description="Form posts per minute per client IP")
    api_key_cache_seconds: float = Field(
        default=10, ge=0, description="A revoked key stops working within this"
    )
    idempotency_hours: float = Field(
        default=24, gt=0, description="How long an Idempotency-Key is remembered"
    )
    platform_id_days: float = Field(
        default=30, gt=0, description="How long a platform's lead id is remembered"
    )

    lead_writers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Single leads written at once; the plain leads that arrive meanwhile share the next "
        "statement and commit (capture.shared_writes), so a burst gets cheaper a lead as it grows",
    )
    lead_gather_ms: float = Field(
        default=30,
        ge=0,
        le=1000,
        description="A plain lead that comes within this long after a write began waits, up to then, for "
        "others to share its statement and commit; a lead after a quiet spell goes at once (0: never wait)",
    )
    lead_gather: int = Field(
        default=6,
        ge=1,
        le=64,
        description="The gather ends as soon as this many leads wait",
    )

    # ad platforms
    meta_app_secret: SecretStr = Field(
        default=SecretStr(""), description="Meta app secret: checks X-Hub-Signature-256"
    )
    meta_verify_token: SecretStr = Field(
        default=SecretStr(""), description="Token Meta echoes in the GET handshake"
    )
    meta_access_token: SecretStr = Field(
        default=SecretStr(""), description="Page access token for fetching leads"
    )
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    google_key: SecretStr = Field(
        default=SecretStr(""), description="The key set on the Google Ads lead form webhook"
    )
    linkedin_client_secret: SecretStr = Field(
        default=SecretStr(""), description="Checks X-LI-Signature and the challenge"
    )
    linkedin_access_token: SecretStr = Field(default=SecretStr(""), description="Token for fetching leads")
    linkedin_api_url: str = "https://api.linkedin.com/rest"
    linkedin_api_version: str = "202510"
    fetch_max_attempts: int = Field(default=10, ge=1, description="Tries to fetch a platform's lead")
    fetch_backoff_seconds: float = Field(default=2.0, gt=0, description="First retry delay; doubles, ≤ 1 h")
    fetch_poll_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="The longest the platform fetcher rests: it sleeps until the next retry is due, woken "
        "at once by a webhook this instance took; one another instance took fetches at most this late if "
        "that instance's fetcher has gone",
    )
