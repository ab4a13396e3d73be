"""reporting: every topic → projections → closed-loop reports."""

from fastapi import FastAPI

from leadkit.service import Service, create_service_app
from reporting.api import console
from reporting.api.attribution import router as attribution_router
from reporting.api.feed import router as feed_router
from reporting.api.funnel import router
from reporting.api.goals import router as goals_router
from reporting.api.overview import router as overview_router
from reporting.api.quality import router as quality_router
from reporting.api.roi import router as money_router
from reporting.api.speed import router as speed_router
from reporting.api.targets import router as targets_router
from reporting.handlers import HANDLERS
from reporting.settings import ReportingSettings
from reporting.workers import prepare_aggregates


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    service = Service(
        name="reporting",
        settings=settings,
        handlers=HANDLERS,
        prepare=prepare_aggregates,
    )
    app = create_service_app(
        service,
        title="leadloop reporting",
        description="Funnel and closed-loop reports, projected from every leadloop event, and the console.",
        routers=[
            router,
            attribution_router,
            speed_router,
            quality_router,
            money_router,
            goals_router,
            overview_router,
            feed_router,
            targets_router,
            console.router,
        ],
    )
    console.mount_console(app)
    return app
