"""capture's use cases. The caller owns the transaction; these write state and outbox rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Executable, func, literal_column, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from capture.api_models import LeadCreate
from capture.db.tables import Lead, Touch
from capture.domain.normalize import identity_key
from lead_schemas import LeadCaptured, LeadCapturedData, Person
from lead_schemas import Touch as TouchData
from leadkit.messaging import Outbox

PRODUCER = "capture"
PERSON_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "company_size",
    "industry",
    "country",
)


async def capture_lead(
    submission: LeadCreate,
    *,
    session: AsyncSession,
    outbox: Outbox,
    now: datetime,
    correlation_id: UUID,
) -> LeadCaptured:
    """Merge the submission into its person (new or known), record the touch, emit lead.captured."""
    person = {name: getattr(submission, name) for name in PERSON_FIELDS}
    # One statement, so two identical submissions racing each other meet on the unique
    # identity key instead of both inserting. Merge rule: a newer non-empty value wins and an
    # empty field erases nothing (empty fields arrive here as NULL).
    insert_lead = insert(Lead).values(
        id=uuid4(),
        identity_key=identity_key(email=submission.email, phone=submission.phone),
        attributes=submission.custom_attributes(),
        created_at=now,
        updated_at=now,
        **person,
    )
    # typed as a plain statement: the ORM's typing cannot express an entity plus a column
    upsert: Executable = insert_lead.on_conflict_do_update(
        index_elements=[Lead.identity_key],
        set_={
            **{
                name: func.coalesce(insert_lead.excluded[name], getattr(Lead, name)) for name in PERSON_FIELDS
            },
            "attributes": Lead.attributes.op("||")(insert_lead.excluded.attributes),
            "updated_at": func.greatest(Lead.updated_at, insert_lead.excluded.updated_at),
        },
    ).returning(Lead, literal_column("(xmax = 0)").label("inserted"))
    row = (await session.execute(upsert)).one()
    lead: Lead = row[0]
    is_new = bool(row.inserted)

    touch = Touch(
        id=uuid4(),
        lead_id=lead.id,
        occurred_at=submission.occurred_at or now,
        correlation_id=correlation_id,
        source=submission.utm_source,
        medium=submission.utm_medium,
        campaign=submission.utm_campaign,
        content=submission.utm_content,
        term=submission.utm_term,
        gclid=submission.gclid,
        fbclid=submission.fbclid,
        form_id=submission.form_id,
        page_url=submission.page_url,
    )
    session.add(touch)
    await session.flush()
    touch_ids: dict[str, Any] = {"last_touch_id": touch.id}
    if is_new:
        touch_ids["first_touch_id"] = touch.id
    await session.execute(update(Lead).where(Lead.id == lead.id).values(**touch_ids))

    event = LeadCaptured.new(
        producer=PRODUCER,
        lead_id=lead.id,
        correlation_id=correlation_id,
        occurred_at=now,
        data=LeadCapturedData(
            is_new=is_new,
            person=Person(
                **{name: getattr(lead, name) for name in PERSON_FIELDS}, attributes=lead.attributes
            ),
            touch=TouchData(
                id=str(touch.id),
                occurred_at=touch.occurred_at,
                source=touch.source,
                medium=touch.medium,
                campaign=touch.campaign,
                content=touch.content,
                term=touch.term,
                gclid=touch.gclid,
                fbclid=touch.fbclid,
                form_id=touch.form_id,
                page_url=touch.page_url,
            ),
        ),
    )
    await outbox.add(event)
    return event
