"""/healthz (the process answers), /readyz (database and Kafka reachable, consumers not waiting, and
what the service adds: a worker process up), /metrics."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

if TYPE_CHECKING:
    from leadkit.service import Deps

health_router = APIRouter(tags=["operations"])


@health_router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _database_ok(deps: Deps) -> bool:
    try:
        async with deps.engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
        return True
    except Exception:
        return False


async def _kafka_ok(deps: Deps) -> bool:
    producer = deps.relay.producer
    if producer is None:
        return False
    try:
        await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=2)
        return True
    except Exception:
        return False


async def readiness_checks(deps: Deps | None) -> dict[str, Any]:
    """What /readyz answers, each check by name (the operations API shows the same)."""
    checks: dict[str, Any] = {"database": False, "kafka": False, "consumers": False}
    if deps is not None:
        checks["database"], checks["kafka"] = await asyncio.gather(_database_ok(deps), _kafka_ok(deps))
        # a consumer whose batch waits for the database is not ready, even once a probe gets through
        checks["consumers"] = not any(consumer.waiting_for_database for consumer in deps.consumers)
        checks |= {name: ready() for name, ready in deps.readiness.items()}
    return checks


@health_router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks = await readiness_checks(getattr(request.app.state, "deps", None))
    ready = all(checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@health_router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
