"""A lead's touches as scoring sees them: what engagement rules match and decay from."""

from __future__ import annotations

from dataclasses import dataclass

from lead_schemas import Touch as CapturedTouch


@dataclass(frozen=True, slots=True)
class Touch:
    id: str
    at: float  # occurred_at as POSIX seconds: decay arithmetic on floats, not datetimes
    type: str
    form_id: str | None = None
    content: str | None = None
    page_url: str | None = None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    channel: str | None = None


def touch_of(captured: CapturedTouch) -> Touch:
    return Touch(
        id=captured.id,
        at=captured.occurred_at.timestamp(),
        type=captured.type,
        form_id=captured.form_id,
        content=captured.content,
        page_url=captured.page_url,
        source=captured.source,
        medium=captured.medium,
        campaign=captured.campaign,
        channel=captured.channel,
    )
