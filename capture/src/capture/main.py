"""capture: HTTP intake of leads → lead.captured."""

from fastapi import FastAPI

from capture.api import router
from capture.db.tables import messaging
from capture.settings import CaptureSettings
from leadkit.service import Service, create_service_app


def create_app(settings: CaptureSettings | None = None) -> FastAPI:
    settings = settings or CaptureSettings()
    service = Service(name="capture", settings=settings, tables=messaging)
    return create_service_app(
        service,
        title="leadloop capture",
        description="Validates, normalizes and deduplicates leads, records each touch, emits lead.captured.",
        routers=[router],
    )
