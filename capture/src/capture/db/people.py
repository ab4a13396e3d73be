"""The `leads` (people) and `touches` tables: capture's hot path, on asyncpg with statements
written out once. The common case, a new person, is one statement however many submissions come
at once; a known person is merged by the rule at `_CAPTURE_KNOWN`. Both statements are built
from the same column lists, here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from capture.db.tables import Lead
from capture.domain.normalize import identity_key
from capture.domain.submission import PERSON_FIELDS
from leadkit.db import Connection, columns
from leadkit.messaging import OUTBOX_CHANNEL, OutboxRow

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


_TOUCH_TYPES = {"is_test": "bool", "consent_marketing": "bool", "api_key_id": "uuid", "submitted": "jsonb"}
# `submitted`: what an unauthenticated post said of the person, kept with its touch for review
_TOUCH_COLUMNS = ("id", "lead_id", "occurred_at", "received_at", "correlation_id", *TOUCH_FIELDS, "submitted")
_TOUCH_ARRAYS = ", ".join(
    f"${i}::{kind}[]"
    for i, kind in enumerate(
        (
            "uuid",
            "uuid",
            "timestamptz",
            "timestamptz",
            "uuid",
            *(_TOUCH_TYPES.get(f, "text") for f in TOUCH_FIELDS),
            "jsonb",
        ),
        start=1,
    )
)
_TOUCHES = ", ".join(_TOUCH_COLUMNS)
_PERSON = ", ".join(MERGED_FIELDS)
_N_TOUCH = len(_TOUCH_COLUMNS)


def _after_touches(*names: str) -> dict[str, str]:
    """Placeholders numbered after the touch columns'."""
    return {name: f"${_N_TOUCH + i}" for i, name in enumerate(names, start=1)}


# The common case in one statement: a person capture has not seen yet. The person (with this
# touch as first and last), the touch and the outbox row are written together, for every
# submission of a batch at once; a person who already exists is left untouched (ON CONFLICT DO
# NOTHING), and the caller merges them in `_capture_known`. Each submission's event was built
# beforehand for the id it would get as a new person, and is written only when it did.
_L = _after_touches(
    "lead_ids",
    "identity_keys",
    *MERGED_FIELDS,
    "attributes",
    "created_at",
    "topics",
    "keys",
    "payloads",
    "headers",
)
_NEW_PEOPLE = f"""
WITH people AS (
    INSERT INTO leads (id, identity_key, {_PERSON}, attributes, first_touch_id, last_touch_id,
                       first_touch_at, last_touch_at, created_at, updated_at)
    SELECT p.id, p.identity_key, {", ".join("p." + f for f in MERGED_FIELDS)}, p.attributes::jsonb,
           t.id, t.id, t.occurred_at, t.occurred_at, p.created_at, t.occurred_at
    FROM unnest({_L["lead_ids"]}::uuid[], {_L["identity_keys"]}::text[],
                {", ".join(_L[f] + "::text[]" for f in MERGED_FIELDS)}, {_L["attributes"]}::text[],
                {_L["created_at"]}::timestamptz[])
        WITH ORDINALITY AS p(id, identity_key, {_PERSON}, attributes, created_at, n)
    JOIN unnest({_TOUCH_ARRAYS}) WITH ORDINALITY AS t({_TOUCHES}, n) USING (n)
    ORDER BY n
    ON CONFLICT (identity_key) DO NOTHING
    RETURNING id
), touches AS (
    INSERT INTO touches ({_TOUCHES})
    SELECT {_TOUCHES} FROM unnest({_TOUCH_ARRAYS}) WITH ORDINALITY AS t({_TOUCHES}, n)
    WHERE lead_id IN (SELECT id FROM people) ORDER BY n
    RETURNING lead_id
), events AS (
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT topic, key, payload, headers::jsonb
    FROM unnest({_L["topics"]}::text[], {_L["keys"]}::text[], {_L["payloads"]}::bytea[],
                {_L["headers"]}::text[])
        WITH ORDINALITY AS o(topic, key, payload, headers, n)
    WHERE key::uuid IN (SELECT lead_id FROM touches) ORDER BY n
    RETURNING key
)"""
_CAPTURE_NEW = _NEW_PEOPLE + "\nSELECT key::uuid AS lead_id FROM events"
# the same, waking a relay in another process when any row was written
_CAPTURE_NEW_AND_NOTIFY = (
    _NEW_PEOPLE
    + f""", notified AS (SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM (SELECT 1 FROM events LIMIT 1) AS one)
SELECT key::uuid AS lead_id, (SELECT count(*) FROM notified) AS notified FROM events"""
)

# A known person: merged by the rule below, this touch marked first or last when it is, the touch
# recorded, and the lead's first touch read back (a first touch that is this one is not visible
# to the statement that inserts it, so it comes back empty: this touch is the first).
# Merge rule: the newer submission's non-empty values win; an empty field erases nothing; an
# older (backfilled) submission only fills gaps, and so does an unauthenticated one (a public form:
# anyone who knows an email could otherwise rewrite that person's name, company and phone).
_K = _after_touches("lead_id", "identity_key", *MERGED_FIELDS, "attributes", "created_at", "trusted")
_NEWER = f"({_K['trusted']}::bool AND excluded.updated_at >= l.updated_at)"
_FIRST = "l.first_touch_at IS NULL OR excluded.first_touch_at < l.first_touch_at"
_LAST = "l.last_touch_at IS NULL OR excluded.last_touch_at >= l.last_touch_at"
_MERGE = ",\n        ".join(
    f"{f} = CASE WHEN {_NEWER} THEN coalesce(excluded.{f}, l.{f}) ELSE coalesce(l.{f}, excluded.{f}) END"
    for f in MERGED_FIELDS
)
_CAPTURE_KNOWN = f"""
WITH touch AS (
    SELECT * FROM unnest({_TOUCH_ARRAYS}) AS t({_TOUCHES})
), person AS (
    INSERT INTO leads AS l (id, identity_key, {_PERSON}, attributes, first_touch_id, last_touch_id,
                            first_touch_at, last_touch_at, created_at, updated_at)
    SELECT {_K["lead_id"]}::uuid, {_K["identity_key"]}::text,
           {", ".join(_K[f] + "::text" for f in MERGED_FIELDS)}, {_K["attributes"]}::jsonb,
           touch.id, touch.id, touch.occurred_at, touch.occurred_at, {_K["created_at"]}::timestamptz,
           touch.occurred_at
    FROM touch
    ON CONFLICT (identity_key) DO UPDATE SET
        {_MERGE},
        attributes = CASE WHEN {_NEWER} THEN l.attributes || excluded.attributes
                          ELSE excluded.attributes || l.attributes END,
        updated_at = greatest(l.updated_at, excluded.updated_at),
        first_touch_id = CASE WHEN {_FIRST} THEN excluded.first_touch_id ELSE l.first_touch_id END,
        first_touch_at = CASE WHEN {_FIRST} THEN excluded.first_touch_at ELSE l.first_touch_at END,
        last_touch_id = CASE WHEN {_LAST} THEN excluded.last_touch_id ELSE l.last_touch_id END,
        last_touch_at = CASE WHEN {_LAST} THEN excluded.last_touch_at ELSE l.last_touch_at END
    RETURNING l.id, {", ".join("l." + f for f in MERGED_FIELDS)}, l.attributes::text AS attributes,
              l.first_touch_id, (xmax = 0) AS inserted
), recorded AS (
    INSERT INTO touches ({_TOUCHES})
    SELECT touch.id, person.id, {", ".join("touch." + c for c in _TOUCH_COLUMNS[2:])} FROM touch, person
)
SELECT person.*, {", ".join(f"first.{c} AS first_{c}" for c in _TOUCH_COLUMNS)}
FROM person LEFT JOIN touches AS first ON first.id = person.first_touch_id
"""


@dataclass(frozen=True)
class PersonIn:
    """A submission's person as it is written: its id if new, identity key, merged fields and
    custom attributes (JSON)."""

    lead_id: UUID
    identity_key: str
    fields: Mapping[str, str | None]
    attributes: str
    trusted: bool = True


@dataclass(frozen=True)
class MergedPerson:
    """A person after a known person's merge: its fields now, and its first touch (None when the
    touch just written is the first)."""

    lead_id: UUID
    fields: dict[str, str | None]
    attributes: dict[str, Any]
    first_touch: dict[str, Any] | None
    inserted: bool


@dataclass(frozen=True)
class FoundPerson:
    id: UUID
    email: str | None
    phone: str | None
    identity_key: str


def touch_columns(touches: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    return columns([[touch[c] for c in _TOUCH_COLUMNS] for touch in touches])


async def insert_new_people(
    connection: Connection,
    touches: Sequence[Mapping[str, Any]],
    people: Sequence[PersonIn],
    outbox: Sequence[OutboxRow],
    *,
    now: datetime,
    notify: bool,
) -> set[UUID]:
    """Every person not seen yet, with its touch and outbox rows, in one statement; the ids of
    those written (a person who exists already is left for `merge_known_person`)."""
    statement = _CAPTURE_NEW_AND_NOTIFY if notify else _CAPTURE_NEW
    rows = await connection.fetch(
        statement,
        *touch_columns(touches),
        [p.lead_id for p in people],
        [p.identity_key for p in people],
        *[[p.fields[f] for p in people] for f in MERGED_FIELDS],
        [p.attributes for p in people],
        [now] * len(people),
        [row.topic for row in outbox],
        [row.key for row in outbox],
        [row.payload for row in outbox],
        [json.dumps(row.headers) for row in outbox],
    )
    return {row["lead_id"] for row in rows}


async def merge_known_person(
    connection: Connection, touch: Mapping[str, Any], person: PersonIn, now: datetime
) -> MergedPerson:
    row = await connection.fetchrow(
        _CAPTURE_KNOWN,
        *touch_columns([touch]),
        person.lead_id,
        person.identity_key,
        *[person.fields[f] for f in MERGED_FIELDS],
        person.attributes,
        now,
        person.trusted,
    )
    assert row is not None  # the statement upserts, so it returns its row
    first = None if row["first_id"] is None else {c: row[f"first_{c}"] for c in _TOUCH_COLUMNS}
    return MergedPerson(
        lead_id=row["id"],
        fields={f: row[f] for f in MERGED_FIELDS},
        attributes=json.loads(row["attributes"]),
        first_touch=first,
        inserted=row["inserted"],
    )


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


_FIND_LEADS = """
SELECT id, email, phone, identity_key FROM leads
WHERE erased_at IS NULL AND (id = ANY($1::uuid[]) OR identity_key = ANY($2::text[]))
"""


async def find_leads(
    connection: Connection, *, lead_ids: Sequence[UUID], emails: Sequence[str]
) -> tuple[dict[UUID, FoundPerson], dict[str, FoundPerson]]:
    """`find_lead` for many at once, in one statement: the people (not erased) by id, and by email."""
    keys = {identity_key(email=email, phone=None): email for email in emails}
    found = [
        FoundPerson(**dict(row)) for row in await connection.fetch(_FIND_LEADS, list(lead_ids), list(keys))
    ]
    by_id = {person.id: person for person in found}
    by_email = {keys[person.identity_key]: person for person in found if person.identity_key in keys}
    return by_id, by_email
