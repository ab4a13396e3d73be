"""capture: HTTP intake of leads from APIs, forms and ad platforms → lead.captured."""

from fastapi import FastAPI

from capture.api import erasures, leads, touches
from capture.api.forms import router as forms_router
from capture.api.hubspot import router as hubspot_router
from capture.api.webhooks import router as webhooks_router
from capture.db.tables import idempotency
from capture.keys import KeyAuth, KeyCache
from capture.limits import limiters
from capture.parts import CaptureParts
from capture.settings import CaptureSettings
from capture.shared_writes import SharedWrites
from capture.workers import run_fetcher
from leadkit.idempotency import expire_keys_worker
from leadkit.next_due import NextDue
from leadkit.rate_limit import RateLimiter
from leadkit.service import Service, create_service_app


def create_app(settings: CaptureSettings | None = None) -> FastAPI:
    settings = settings or CaptureSettings()
    service = Service(
        name="capture",
        settings=settings,
        workers=[
            ("platform-fetcher", run_fetcher),
            ("expire-idempotency-keys", expire_keys_worker(idempotency)),
        ],
        extras=CaptureParts(
            key_auth=KeyAuth(
                cache=KeyCache(ttl=settings.api_key_cache_seconds),
                failures=RateLimiter(
                    rate=settings.auth_failures_per_minute / 60, burst=settings.auth_failures_per_minute
                ),
            ),
            limiters=limiters(settings),
            fetches_due=NextDue(longest=settings.fetch_poll_seconds),
            shared_writes=SharedWrites(
                writers=settings.lead_writers, gather_ms=settings.lead_gather_ms, gather=settings.lead_gather
            ),
        ),
    )
    app = create_service_app(
        service,
        title="leadloop capture",
        description="Validates, normalizes and deduplicates leads from APIs, forms and ad platforms; "
        "records each touch; emits lead.captured.",
        routers=[
            leads.router,
            touches.router,
            erasures.router,
            forms_router,
            hubspot_router,
            webhooks_router,
        ],
        itemwise={"/v1/leads/batch": "leads", "/v1/touches/batch": "touches"},
        # its key lookups are throttled before they reach the database (capture.keys)
        throttles_its_own_auth=True,
    )
    return app
