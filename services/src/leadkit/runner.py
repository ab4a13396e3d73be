"""Run a service under uvicorn with leadloop's logging (uvicorn's own config would replace it)."""

from __future__ import annotations

import uvicorn

from leadkit.settings import LeadloopSettings


def serve(app_factory: str, *, host: str, port: int) -> None:
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: any local client could then name
    # its own address and walk past the per-address limits. Only the configured proxies count.
    trusted = LeadloopSettings().trusted_proxies.strip()
    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=True,
        timeout_graceful_shutdown=30,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or "",
    )
