"""The fetch worker: for every recorded Meta or LinkedIn notification, get the lead's answers from
the platform's API and capture it; retry with backoff on failure, up to a limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from capture.api.models import LeadCreate
from capture.db.platform_leads import fetch_failed, lease_due, lock_pending, next_attempt
from capture.db.tables import PlatformLead
from capture.domain.platforms import PlatformLeadData, linkedin_form_id, linkedin_lead, meta_lead
from capture.merge import Capture, capture_leads
from capture.parts import capture_parts
from capture.settings import CaptureSettings
from leadkit.db import raw_connection
from leadkit.service import Deps

log = structlog.get_logger(__name__)
LEASE = timedelta(minutes=2)
META_LEAD_FIELDS = (
    "created_time",
    "field_data",
    "form_id",
    "ad_id",
    "ad_name",
    "campaign_id",
    "campaign_name",
    "platform",
    "is_organic",
)  # a claimed row is not claimed again for this long


class PermanentFailure(Exception):
    """Retrying cannot help (the platform says the lead does not exist, or it has no contact)."""


async def fetch_meta(
    client: httpx.AsyncClient, settings: CaptureSettings, row: PlatformLead
) -> PlatformLeadData:
    # The token goes in a header, never the query string, where access logs, proxies and error
    # messages that quote the URL would keep it. The lead id came from a webhook: quoted, it
    # cannot climb out of its path segment.
    response = await client.get(
        f"{settings.meta_graph_url.rstrip('/')}/{quote(row.external_id, safe='')}",
        params={"fields": ",".join(META_LEAD_FIELDS)},
        headers={"Authorization": f"Bearer {settings.meta_access_token.get_secret_value()}"},
    )
    if response.status_code in (400, 404):
        raise PermanentFailure(f"Graph API answered {response.status_code}: {response.text[:300]}")
    response.raise_for_status()
    return meta_lead(response.json())


async def fetch_linkedin(
    client: httpx.AsyncClient, settings: CaptureSettings, row: PlatformLead
) -> PlatformLeadData:
    base = settings.linkedin_api_url.rstrip("/")
    headers = {
        "Authorization": f"Bearer {settings.linkedin_access_token.get_secret_value()}",
        "LinkedIn-Version": settings.linkedin_api_version,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    response = await client.get(
        f"{base}/leadFormResponses/{quote(row.external_id, safe='')}", headers=headers
    )
    if response.status_code == 404:
        raise PermanentFailure("LinkedIn has no such lead form response")
    response.raise_for_status()
    lead = response.json()
    form_id = linkedin_form_id(lead.get("versionedLeadGenFormUrn") or row.notification.get("form"))
    form: dict[str, Any] = {}
    if form_id:
        form_response = await client.get(f"{base}/leadForms/{quote(form_id, safe='')}", headers=headers)
        form_response.raise_for_status()
        form = form_response.json()
    return linkedin_lead(lead, form)


FETCHERS = {"meta": fetch_meta, "linkedin": fetch_linkedin}


async def process_due(deps: Deps, client: httpx.AsyncClient, *, limit: int = 20) -> int:
    settings = deps.settings
    assert isinstance(settings, CaptureSettings)
    now = deps.clock()
    async with deps.sessions.begin() as session:
        due = await lease_due(session, now, lease=LEASE, limit=limit)
    for row in due:
        await _process(deps, client, settings, row)
    return len(due)


async def _process(
    deps: Deps, client: httpx.AsyncClient, settings: CaptureSettings, row: PlatformLead
) -> None:
    try:
        data = await FETCHERS[row.platform](client, settings, row)
        lead, dropped = LeadCreate.lenient(data.fields | data.attributes)
        if lead is None:
            raise PermanentFailure("the lead has no valid email or phone")
        submission = lead.to_submission(
            via=row.platform, touch_type="ad_lead", external_id=row.external_id, is_test=data.is_test
        )
    except Exception as exc:
        await _failed(deps, settings, row, exc)
        return
    async with deps.sessions.begin() as session:
        current = await lock_pending(session, row.id)
        if current is None:
            return  # captured by another instance, or deleted by the platform meanwhile
        (event,) = await capture_leads(
            await raw_connection(session),
            [Capture(submission, current.correlation_id)],
            now=deps.clock(),
            notify=deps.notify_relay,
        )
        current.status, current.lead_id, current.last_error = "captured", event.lead_id, None
        current.attempts += 1
    if dropped:
        log.warning("platform lead fields dropped as invalid", platform=row.platform, fields=dropped)
    deps.outbox_written()


async def _failed(deps: Deps, settings: CaptureSettings, row: PlatformLead, exc: Exception) -> None:
    attempts = row.attempts + 1
    permanent = isinstance(exc, PermanentFailure) or attempts >= settings.fetch_max_attempts
    delay = min(settings.fetch_backoff_seconds * 2 ** (attempts - 1), 3600.0)
    error = deps.redact(f"{type(exc).__name__}: {exc}")[:1000]  # httpx's errors quote the URL
    async with deps.sessions.begin() as session:
        await fetch_failed(
            session,
            row.id,
            attempts=attempts,
            error=error,
            permanent=permanent,
            retry_at=deps.clock() + timedelta(seconds=delay),
        )
    log.warning(
        "platform lead fetch failed",
        platform=row.platform,
        attempts=attempts,
        permanent=permanent,
        error=error,
    )


async def run_fetcher(deps: Deps) -> None:
    settings = deps.settings
    assert isinstance(settings, CaptureSettings)
    due = capture_parts(deps).fetches_due
    async with httpx.AsyncClient(timeout=10) as client:
        while True:
            started = deps.clock()
            processed = await process_due(deps, client)
            due.looked(round_started=started)
            if processed:
                continue
            async with deps.sessions() as session:
                upcoming = await next_attempt(session)
            await due.rest(clock=deps.clock, next_due=upcoming)
