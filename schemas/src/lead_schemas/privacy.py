"""Which topics carry personal data, and their history twins that carry none (DESIGN.md, invariant 10).

`lead.captured` and `lead.scored` carry what scoring and routing decide on: email, names, job
title, company, custom attributes, click ids, landing pages with their query strings. They are
*personal* topics, kept for the privacy window only (30 days by default, deploy/topics.toml).
Every event on them has a *history twin* on `<topic>.history`: the same type and shape, with a
derived id, and every personal field removed, so the history reporting rebuilds from (kept
forever) holds nothing a person could ask to have erased. The outbox writes both in the one
transaction (`leadkit.messaging.Outbox`), so no producer can forget a twin.

Every other topic carries no personal data at all: sales' free text stays in sla-monitor's
database, and the DLQs are kept for the privacy window like the personal topics.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from lead_schemas.envelope import Envelope, Payload
from lead_schemas.events import (
    EVENT_TYPES,
    LeadCaptured,
    LeadCapturedData,
    LeadProfile,
    LeadScored,
    Person,
    Touch,
)

HISTORY_SUFFIX = ".history"
PERSONAL_TOPICS: tuple[str, ...] = ("lead.captured", "lead.scored")
HISTORY_TOPICS: tuple[str, ...] = tuple(topic + HISTORY_SUFFIX for topic in PERSONAL_TOPICS)
# a history twin's id: derived from its original's, so a retried write makes the same twin
_TWIN_NAMESPACE = uuid5(NAMESPACE_URL, "https://leadloop.dev/history-twin")


def history_of(topic: str) -> str:
    return topic + HISTORY_SUFFIX


def event_type_of(topic: str) -> str:
    """The event type a topic carries: its own name, or its personal topic's for a history twin."""
    return topic.removesuffix(HISTORY_SUFFIX)


def is_event_topic(topic: str) -> bool:
    return topic in EVENT_TYPES or topic in HISTORY_TOPICS


def twin_id(event_id: UUID) -> UUID:
    return uuid5(_TWIN_NAMESPACE, str(event_id))


def without_query(url: str | None) -> str | None:
    """A URL's scheme, host and path: a query string or fragment can hold an email, a click id or
    a token. Text that is not a URL keeps nothing."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))


def impersonal_touch(touch: Touch) -> Touch:
    return touch.model_copy(
        update={
            "gclid": None,
            "fbclid": None,
            "msclkid": None,
            "li_fat_id": None,
            "external_id": None,
            "term": None,  # the words searched for, which capture's erasure also clears
            "page_url": without_query(touch.page_url),
            "referrer": without_query(touch.referrer),
            "consent": touch.consent.model_copy(update={"text": None}) if touch.consent else None,
        }
    )


def impersonal_person(person: Person) -> Person:
    """What describes a company's size, industry and country and no one in it."""
    return Person(company_size=person.company_size, industry=person.industry, country=person.country)


def impersonal_profile(profile: LeadProfile) -> LeadProfile:
    return profile.model_copy(
        update={"company": None, "company_domain": None, "job_title": None, "attributes": {}}
    )


def impersonal_capture(data: LeadCapturedData) -> LeadCapturedData:
    """A capture as the history keeps it, and as a service stores one of a person already erased."""
    return data.model_copy(
        update={
            "person": impersonal_person(data.person),
            "touch": impersonal_touch(data.touch),
            "first_touch": impersonal_touch(data.first_touch) if data.first_touch else None,
        }
    )


def history_twin(event: Envelope) -> Envelope | None:
    """The event's twin for `<topic>.history`, or None when its topic is not personal."""
    data: Payload
    if isinstance(event, LeadCaptured):
        data = impersonal_capture(event.data)
    elif isinstance(event, LeadScored):
        profile = event.data.lead
        data = event.data.model_copy(update={"lead": impersonal_profile(profile) if profile else None})
    else:
        return None
    return event.model_copy(update={"id": twin_id(event.id), "data": data})
