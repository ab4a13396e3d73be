"""A lead as a console key without personal data sees it: who the person is stays hidden (email
mailbox, phone, names, custom attributes, what a form said of them, URLs' query strings, which
often carry an email), what brought them and which company stays visible — enough to ask why a
lead went where it did without reading who it is."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from capture.api.models import LeadRead, TouchRead
from leadkit.console_roles import MASK, mask_email, mask_text


def _without_query(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if not parts.query and not parts.fragment:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, MASK if parts.query else "", ""))


def _masked_touch(touch: TouchRead) -> TouchRead:
    return touch.model_copy(
        update={
            "submitted": None,
            "page_url": _without_query(touch.page_url),
            "referrer": _without_query(touch.referrer),
        }
    )


def masked(lead: LeadRead) -> LeadRead:
    return lead.model_copy(
        update={
            "email": mask_email(lead.email),
            "phone": mask_text(lead.phone),
            "first_name": mask_text(lead.first_name),
            "last_name": mask_text(lead.last_name),
            "attributes": {},
            "touches": [_masked_touch(touch) for touch in lead.touches],
        }
    )
