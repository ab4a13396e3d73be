"""capture's use cases. The caller owns the transaction; these write state and outbox rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import Executable, Table, bindparam, case, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import Lead, PlatformLead, SpamSubmission, Touch
from capture.domain.normalize import identity_key
from capture.domain.submission import PERSON_FIELDS, Submission
from lead_schemas import Consent, LeadCaptured, LeadCapturedData, LeadErased, LeadErasedData, Person
from lead_schemas import Touch as TouchEvent
from leadkit.messaging import Outbox

PRODUCER = "capture"
MERGED_FIELDS = (*PERSON_FIELDS, "company_domain")
TOUCH_FIELDS = (
    "type",
    "via",
    "channel",
    "source",
    "medium",
    "campaign",
    "content",
    "term",
    "gclid",
    "fbclid",
    "msclkid",
    "li_fat_id",
    "form_id",
    "page_url",
    "referrer",
    "external_id",
    "is_test",
    "consent_marketing",
    "consent_text",
    "api_key_id",
)


LEADS = cast(Table, Lead.__table__)
TOUCHES = cast(Table, Touch.__table__)


@cache
def _upsert_lead() -> Executable:
    """Built once: constructing this statement per request cost more than executing it."""
    incoming_values: dict[str, Any] = {
        name: bindparam(name)
        for name in ("id", "identity_key", "attributes", "created_at", "updated_at", *MERGED_FIELDS)
    }
    statement = insert(LEADS).values(incoming_values)
    incoming = statement.excluded
    current = LEADS.c
    # Merge rule: the newer submission's non-empty values win; an empty field erases nothing; an
    # older (backfilled) submission only fills gaps.
    newer = incoming.updated_at >= current.updated_at

    def merged(name: str) -> Any:
        return case(
            (newer, func.coalesce(incoming[name], current[name])),
            else_=func.coalesce(current[name], incoming[name]),
        )

    return statement.on_conflict_do_update(
        index_elements=[current.identity_key],
        set_={
            **{name: merged(name) for name in MERGED_FIELDS},
            "attributes": case(
                (newer, current.attributes.op("||")(incoming.attributes)),
                else_=incoming.attributes.op("||")(current.attributes),
            ),
            "updated_at": func.greatest(current.updated_at, incoming.updated_at),
        },
    ).returning(*LEADS.columns, literal_column("(xmax = 0)").label("inserted"))


@cache
def _mark_touch(first: bool, last: bool) -> Executable:
    values: dict[str, Any] = {}
    if first:
        values |= {"first_touch_id": bindparam("touch_id"), "first_touch_at": bindparam("touch_at")}
    if last:
        values |= {"last_touch_id": bindparam("touch_id"), "last_touch_at": bindparam("touch_at")}
    return update(LEADS).where(LEADS.c.id == bindparam("lead")).values(values)


@cache
def _select_touch() -> Executable:
    return select(TOUCHES).where(TOUCHES.c.id == bindparam("touch_id"))


async def capture_lead(
    submission: Submission,
    *,
    session: AsyncSession,
    outbox: Outbox,
    now: datetime,
    correlation_id: UUID,
) -> LeadCaptured:
    """Merge the submission into its person (new or known), record the touch, emit lead.captured."""
    person = submission.person
    occurred_at = submission.touch.occurred_at or now
    # One statement, so two identical submissions racing each other meet on the unique identity
    # key instead of both inserting.
    row = (
        await session.execute(
            _upsert_lead(),
            {
                "id": uuid4(),
                "identity_key": identity_key(email=person.email, phone=person.phone),
                "attributes": submission.attributes,
                "created_at": now,
                "updated_at": occurred_at,
                **{name: getattr(person, name) for name in MERGED_FIELDS},
            },
        )
    ).one()
    lead = row._mapping
    is_new = bool(lead["inserted"])

    touch = {
        "id": uuid4(),
        "lead_id": lead["id"],
        "occurred_at": occurred_at,
        "received_at": now,
        "correlation_id": correlation_id,
        **{name: getattr(submission.touch, name) for name in TOUCH_FIELDS},
    }
    await session.execute(insert(TOUCHES), touch)
    first = is_new or lead["first_touch_at"] is None or occurred_at < lead["first_touch_at"]
    last = is_new or lead["last_touch_at"] is None or occurred_at >= lead["last_touch_at"]
    if first or last:
        await session.execute(
            _mark_touch(first, last), {"lead": lead["id"], "touch_id": touch["id"], "touch_at": occurred_at}
        )
    first_touch = touch
    if not first:
        found = (await session.execute(_select_touch(), {"touch_id": lead["first_touch_id"]})).first()
        first_touch = dict(found._mapping) if found is not None else touch

    event = LeadCaptured.new(
        producer=PRODUCER,
        lead_id=lead["id"],
        correlation_id=correlation_id,
        occurred_at=now,
        data=LeadCapturedData(
            is_new=is_new,
            person=Person(**{name: lead[name] for name in MERGED_FIELDS}, attributes=lead["attributes"]),
            touch=touch_event(touch),
            first_touch=touch_event(first_touch),
        ),
    )
    await outbox.add(event)
    return event


def touch_event(touch: Mapping[str, Any]) -> TouchEvent:
    consent = None
    if touch["consent_marketing"] is not None or touch["consent_text"]:
        consent = Consent(marketing=touch["consent_marketing"], text=touch["consent_text"])
    fields = {
        name: touch[name]
        for name in TOUCH_FIELDS
        if name not in ("consent_marketing", "consent_text", "api_key_id")
    }
    return TouchEvent(id=str(touch["id"]), occurred_at=touch["occurred_at"], consent=consent, **fields)


async def find_lead(
    session: AsyncSession, *, lead_id: UUID | None = None, email: str | None = None, phone: str | None = None
) -> Lead | None:
    """The person (not erased) with that id, else that email, else that phone."""
    if lead_id is not None:
        return await session.scalar(select(Lead).where(Lead.id == lead_id, Lead.erased_at.is_(None)))
    # an erased person's identity key is `erased:<id>`, so no email or phone finds them
    keys = [identity_key(email=email, phone=None)] if email else []
    keys += [identity_key(email=None, phone=phone)] if phone else []
    for key in keys:
        lead = await session.scalar(select(Lead).where(Lead.identity_key == key))
        if lead is not None:
            return lead
    return None


async def erase_person(
    session: AsyncSession, outbox: Outbox, *, lead: Lead, now: datetime, correlation_id: UUID
) -> None:
    """Forget a person: personal data goes, anonymous facts (source, campaign, channel) stay."""
    if lead.email:
        await session.execute(delete(SpamSubmission).where(SpamSubmission.email == lead.email))
    await session.execute(
        update(Lead)
        .where(Lead.id == lead.id)
        .values(
            **dict.fromkeys(MERGED_FIELDS), attributes={}, identity_key=f"erased:{lead.id}", erased_at=now
        )
    )
    await session.execute(
        update(Touch)
        .where(Touch.lead_id == lead.id)
        .values(
            page_url=None,
            referrer=None,
            gclid=None,
            fbclid=None,
            msclkid=None,
            li_fat_id=None,
            consent_text=None,
            term=None,
        )
    )
    await session.execute(update(PlatformLead).where(PlatformLead.lead_id == lead.id).values(notification={}))
    await outbox.add(
        LeadErased.new(
            producer=PRODUCER,
            lead_id=lead.id,
            correlation_id=correlation_id,
            occurred_at=now,
            data=LeadErasedData(requested_at=now),
        )
    )
