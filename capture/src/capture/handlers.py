"""capture's use cases. The caller owns the transaction; these write state and outbox rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Executable, case, delete, func, literal_column, select, update
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
    values = {name: getattr(person, name) for name in MERGED_FIELDS}
    insert_lead = insert(Lead).values(
        id=uuid4(),
        identity_key=identity_key(email=person.email, phone=person.phone),
        attributes=submission.attributes,
        created_at=now,
        updated_at=occurred_at,
        **values,
    )
    incoming = insert_lead.excluded
    # One statement, so two identical submissions racing each other meet on the unique identity
    # key instead of both inserting. Merge rule: the newer submission's non-empty values win; an
    # empty field erases nothing; an older (backfilled) submission only fills gaps.
    newer = incoming.updated_at >= Lead.updated_at

    def merged(name: str) -> Any:
        current = getattr(Lead, name)
        return case(
            (newer, func.coalesce(incoming[name], current)), else_=func.coalesce(current, incoming[name])
        )

    upsert: Executable = insert_lead.on_conflict_do_update(
        index_elements=[Lead.identity_key],
        set_={
            **{name: merged(name) for name in MERGED_FIELDS},
            "attributes": case(
                (newer, Lead.attributes.op("||")(incoming.attributes)),
                else_=incoming.attributes.op("||")(Lead.attributes),
            ),
            "updated_at": func.greatest(Lead.updated_at, incoming.updated_at),
        },
    ).returning(Lead, literal_column("(xmax = 0)").label("inserted"))
    row = (await session.execute(upsert)).one()
    lead: Lead = row[0]
    is_new = bool(row.inserted)

    touch = Touch(
        id=uuid4(),
        lead_id=lead.id,
        occurred_at=occurred_at,
        correlation_id=correlation_id,
        **{name: getattr(submission.touch, name) for name in TOUCH_FIELDS},
    )
    session.add(touch)
    await session.flush()
    first = is_new or lead.first_touch_at is None or occurred_at < lead.first_touch_at
    last = is_new or lead.last_touch_at is None or occurred_at >= lead.last_touch_at
    touch_marks: dict[str, Any] = {}
    if first:
        touch_marks |= {"first_touch_id": touch.id, "first_touch_at": occurred_at}
    if last:
        touch_marks |= {"last_touch_id": touch.id, "last_touch_at": occurred_at}
    if touch_marks:
        await session.execute(update(Lead).where(Lead.id == lead.id).values(**touch_marks))
    first_touch = touch if first else await session.get(Touch, lead.first_touch_id)

    event = LeadCaptured.new(
        producer=PRODUCER,
        lead_id=lead.id,
        correlation_id=correlation_id,
        occurred_at=now,
        data=LeadCapturedData(
            is_new=is_new,
            person=Person(
                **{name: getattr(lead, name) for name in MERGED_FIELDS}, attributes=lead.attributes
            ),
            touch=touch_event(touch),
            first_touch=touch_event(first_touch) if first_touch is not None else None,
        ),
    )
    await outbox.add(event)
    return event


def touch_event(touch: Touch) -> TouchEvent:
    consent = None
    if touch.consent_marketing is not None or touch.consent_text:
        consent = Consent(marketing=touch.consent_marketing, text=touch.consent_text)
    fields = {
        name: getattr(touch, name)
        for name in TOUCH_FIELDS
        if name not in ("consent_marketing", "consent_text", "api_key_id")
    }
    return TouchEvent(id=str(touch.id), occurred_at=touch.occurred_at, consent=consent, **fields)


async def find_lead(
    session: AsyncSession, *, lead_id: UUID | None = None, email: str | None = None
) -> Lead | None:
    if lead_id is not None:
        return await session.scalar(select(Lead).where(Lead.id == lead_id, Lead.erased_at.is_(None)))
    if email is not None:
        return await session.scalar(
            select(Lead).where(Lead.identity_key == identity_key(email=email, phone=None))
        )
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
