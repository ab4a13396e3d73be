"""Run a service under uvicorn with leadloop's logging (uvicorn's own config would replace it)."""

from __future__ import annotations

import uvicorn


def serve(app_factory: str, *, host: str, port: int) -> None:
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=True,
        timeout_graceful_shutdown=30,
    )
