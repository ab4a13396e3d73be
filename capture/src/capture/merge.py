"""capture's use case: each submission merged into its person (new or known), its touch recorded,
`lead.captured` emitted. The caller owns the transaction; the statements are db/people.py's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from capture.db.people import MERGED_FIELDS, TOUCH_FIELDS, PersonIn, insert_new_people, merge_known_person
from capture.domain.normalize import identity_key
from capture.domain.submission import Submission
from lead_schemas import Consent, LeadCaptured, LeadCapturedData, Person
from lead_schemas import Touch as TouchEvent
from leadkit.db import Connection
from leadkit.messaging import Outbox, write_outbox

PRODUCER = "capture"


@dataclass(frozen=True)
class Capture:
    """One submission to capture, and what it was given on arrival."""

    submission: Submission
    correlation_id: UUID
    lead_id: UUID = field(default_factory=uuid4)  # the id it gets if it is a new person
    touch_id: UUID = field(default_factory=uuid4)


async def capture_leads(
    connection: Connection, captures: Sequence[Capture], *, now: datetime, notify: bool
) -> list[LeadCaptured]:
    """Merge each submission into its person (new or known), record the touch, emit lead.captured;
    in submission order. New people take one statement for the whole batch; each submission of a
    known person two more. Outside a transaction, the known people get one of their own."""
    if not captures:
        return []
    touches = [_touch_row(c, now) for c in captures]
    guesses = [
        _event(c, touch, now, person=_person(c.submission), first_touch=touch, is_new=True)
        for c, touch in zip(captures, touches, strict=True)
    ]
    outbox = Outbox()  # each event and its history twin (lead_schemas.privacy)
    outbox.add(*guesses)
    new = await insert_new_people(
        connection, touches, [_person_in(c) for c in captures], outbox.rows, now=now, notify=notify
    )
    known = [i for i, c in enumerate(captures) if c.lead_id not in new]
    if known:
        if connection.is_in_transaction():
            events = await _capture_all_known(
                connection, [captures[i] for i in known], [touches[i] for i in known], now, notify
            )
        else:
            async with connection.transaction():
                events = await _capture_all_known(
                    connection, [captures[i] for i in known], [touches[i] for i in known], now, notify
                )
        for i, event in zip(known, events, strict=True):
            guesses[i] = event
    return guesses


async def _capture_all_known(
    connection: Connection,
    captures: list[Capture],
    touches: list[dict[str, Any]],
    now: datetime,
    notify: bool,
) -> list[LeadCaptured]:
    """Known people, one by one in order (two of one person in a batch merge in turn)."""
    outbox = Outbox()
    events = [
        await _capture_known(connection, c, touch, now) for c, touch in zip(captures, touches, strict=True)
    ]
    outbox.add(*events)
    await write_outbox(connection, outbox.rows, notify=notify)
    return events


async def _capture_known(
    connection: Connection, capture: Capture, touch: dict[str, Any], now: datetime
) -> LeadCaptured:
    merged = await merge_known_person(connection, touch, _person_in(capture), now)
    person = Person(**merged.fields, attributes=merged.attributes)
    first_touch = merged.first_touch or touch
    touch = {**touch, "lead_id": merged.lead_id}
    return _event(
        capture,
        touch,
        now,
        person=person,
        first_touch=first_touch,
        is_new=merged.inserted,
        lead_id=merged.lead_id,
    )


def _person_in(capture: Capture) -> PersonIn:
    submission = capture.submission
    return PersonIn(
        lead_id=capture.lead_id,
        identity_key=_identity(submission),
        fields={f: getattr(submission.person, f) for f in MERGED_FIELDS},
        attributes=json.dumps(submission.attributes),
        trusted=not untrusted(submission),
    )


def _identity(submission: Submission) -> str:
    return identity_key(email=submission.person.email, phone=submission.person.phone)


def untrusted(submission: Submission) -> bool:
    """Posted without a key or a signature: a public form (HTML or HubSpot-style)."""
    return submission.touch.via == "form"


def _touch_row(capture: Capture, now: datetime) -> dict[str, Any]:
    touch = capture.submission.touch
    submitted = None
    if untrusted(capture.submission):
        said = {f: getattr(capture.submission.person, f) for f in MERGED_FIELDS}
        submitted = json.dumps({k: v for k, v in said.items() if v} | capture.submission.attributes)
    return {
        "id": capture.touch_id,
        "lead_id": capture.lead_id,
        "occurred_at": touch.occurred_at or now,
        "received_at": now,
        "correlation_id": capture.correlation_id,
        **{name: getattr(touch, name) for name in TOUCH_FIELDS},
        "submitted": submitted,
    }


def _person(submission: Submission) -> Person:
    return Person(
        **{f: getattr(submission.person, f) for f in MERGED_FIELDS}, attributes=submission.attributes
    )


def _event(
    capture: Capture,
    touch: Mapping[str, Any],
    now: datetime,
    *,
    person: Person,
    first_touch: Mapping[str, Any],
    is_new: bool,
    lead_id: UUID | None = None,
) -> LeadCaptured:
    return LeadCaptured.new(
        producer=PRODUCER,
        lead_id=lead_id or capture.lead_id,
        correlation_id=capture.correlation_id,
        occurred_at=now,
        data=LeadCapturedData(
            is_new=is_new, person=person, touch=touch_event(touch), first_touch=touch_event(first_touch)
        ),
    )


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
