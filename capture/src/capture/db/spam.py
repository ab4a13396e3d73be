"""The `spam_submissions` table: submissions held as spam, kept for audit and release; never emitted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from leadkit.db import Connection

_RECORD_SPAM = """
INSERT INTO spam_submissions (via, reason, ip, form_id, email, payload)
SELECT via, reason, ip, form_id, email, payload::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS u(via, reason, ip, form_id, email, payload)
"""


class HeldSubmission(NamedTuple):
    via: str
    reason: str | None
    ip: str | None
    form_id: str | None
    email: str | None
    payload: str  # JSON


async def hold_as_spam(connection: Connection, held: Sequence[HeldSubmission]) -> None:
    await connection.execute(_RECORD_SPAM, *[list(column) for column in zip(*held, strict=True)])
