"""Abuse limits at capture's edge: per-key and per-IP request rates (body size, bad values and
failed authentications are the kit's, `leadkit.edge`, on every service).

Rates are counted per instance (in memory): with N instances behind a balancer a client gets up
to N times the rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from capture.settings import CaptureSettings
from leadkit.rate_limit import RateLimiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(limiter: RateLimiter, key: str, *, what: str) -> None:
    wait = limiter.retry_after(key, time.monotonic())
    if wait:
        raise HTTPException(
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"too many requests for this {what}; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )


@dataclass(frozen=True)
class Limiters:
    key: RateLimiter  # per API key
    ip: RateLimiter  # per client address, on the API and webhooks
    form_ip: RateLimiter  # per client address, on browser forms


def limiters(settings: CaptureSettings) -> Limiters:
    return Limiters(
        key=RateLimiter(rate=settings.rate_limit_per_key, burst=settings.rate_limit_per_key * 2),
        ip=RateLimiter(rate=settings.rate_limit_per_ip, burst=settings.rate_limit_per_ip * 2),
        form_ip=RateLimiter(
            rate=settings.form_rate_limit_per_ip / 60, burst=max(3.0, settings.form_rate_limit_per_ip / 2)
        ),
    )
