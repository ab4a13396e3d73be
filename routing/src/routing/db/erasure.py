"""An erased person in routing's tables: their company, domain, job title and custom attributes
leave the lead's profile and every assignment record's inputs; the decisions stay (who, when,
which rule, which rep was passed over and why)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from leadkit.db import Connection

# the profile keys that name the person or their company (lead_schemas.privacy.impersonal_profile)
_PERSONAL = "- 'company' - 'company_domain' - 'job_title' - 'attributes'"
_FORGET_PROFILES = f"""
UPDATE leads SET profile = profile {_PERSONAL}
WHERE lead_id = ANY($1::uuid[]) AND jsonb_typeof(profile) = 'object'
"""
# an account match keeps its id and owner; its name is the lead's company, its `matched_by` the
# lead's domain or company name. Steps and reasons written before they left these out are reworded.
_FORGET_RECORDS = f"""
UPDATE assignments SET
    inputs = CASE WHEN inputs IS NULL THEN NULL ELSE
        jsonb_set(inputs #- '{{account,name}}' #- '{{account,matched_by}}', '{{profile}}',
                  CASE WHEN jsonb_typeof(inputs->'profile') = 'object' THEN (inputs->'profile') {_PERSONAL}
                       ELSE 'null'::jsonb END) END,
    steps = (SELECT coalesce(jsonb_agg(CASE WHEN s LIKE 'account %' THEN to_jsonb('account matched'::text)
                                            ELSE to_jsonb(s) END), '[]'::jsonb)
             FROM jsonb_array_elements_text(steps) AS s),
    reason = regexp_replace(
        reason, 'account [^;]*?\\((domain|company name)[^)]*\\)', 'account (matched)', 'g'
    )
WHERE lead_id = ANY($1::uuid[])
"""


async def forget_people(conn: Connection, lead_ids: Sequence[UUID]) -> None:
    await conn.execute(_FORGET_PROFILES, lead_ids)
    await conn.execute(_FORGET_RECORDS, lead_ids)
