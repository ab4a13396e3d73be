"""A lead as routing holds it, and the statements that read and write leads, records and the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from lead_schemas import (
    LeadProfile,
)
from routing.domain.accounts import Account, AccountMatch

LOAD_LEADS = """
SELECT lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
       profile::text AS profile, correlation_id, queued_at, closed_at
FROM leads WHERE lead_id = ANY($1::uuid[]) ORDER BY lead_id FOR UPDATE
"""
QUEUED = """
SELECT lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
       profile::text AS profile, correlation_id, queued_at, closed_at
FROM leads WHERE status = 'queued' AND team = ANY($1::text[]) ORDER BY queued_at, lead_id
LIMIT $2 FOR UPDATE SKIP LOCKED
"""
EARLIER_OWNERS = """
SELECT DISTINCT lead_id, owner FROM assignments WHERE lead_id = ANY($1::uuid[]) AND owner IS NOT NULL
"""
SAVE_LEADS = """
INSERT INTO leads (lead_id, score, grade, qualified, qualification_reason, owner, assignments, status, team,
                   profile, correlation_id, queued_at, closed_at, updated_at)
SELECT lead_id, score, grade, qualified, reason, owner, assignments, status, team, profile::jsonb,
       correlation_id, queued_at, closed_at, updated_at
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bool[], $5::text[], $6::text[], $7::int[], $8::text[],
            $9::text[], $10::text[], $11::uuid[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[])
    AS u(lead_id, score, grade, qualified, reason, owner, assignments, status, team, profile, correlation_id,
         queued_at, closed_at, updated_at)
ON CONFLICT (lead_id) DO UPDATE SET
    score = excluded.score, grade = excluded.grade, qualified = excluded.qualified,
    qualification_reason = excluded.qualification_reason, owner = excluded.owner,
    assignments = excluded.assignments, status = excluded.status, team = excluded.team,
    profile = excluded.profile, correlation_id = excluded.correlation_id, queued_at = excluded.queued_at,
    closed_at = excluded.closed_at, updated_at = excluded.updated_at
"""
RECORD_ASSIGNMENTS = """
INSERT INTO assignments (lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id, event_id,
                         assigned_at, kind, team, method, policy_version, candidates, tie_break, steps,
                         decision_us, inputs)
SELECT lead_id, owner, previous_owner, rule, reason, passed_over::jsonb, cause_event_id, event_id,
       assigned_at, kind, team, method, policy_version, candidates::jsonb, tie_break, steps::jsonb,
       decision_us, inputs::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[],
            $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::text[],
            $16::text[], $17::int[], $18::text[])
    AS u(lead_id, owner, previous_owner, rule, reason, passed_over, cause_event_id, event_id, assigned_at,
         kind, team, method, policy_version, candidates, tie_break, steps, decision_us, inputs)
"""
RECORD_LEDGER = """
INSERT INTO ledger (team, rep_id, lead_id, entry, method, reason, credited, at)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bool[],
                     $8::timestamptz[])
"""


@dataclass
class Lead:
    lead_id: UUID
    score: int = 0
    grade: str = ""
    qualified: bool = False
    qualification_reason: str = ""
    owner: str | None = None
    assignments: int = 0
    status: str = "new"
    team: str | None = None
    profile: LeadProfile | None = None
    correlation_id: UUID | None = None
    queued_at: datetime | None = None
    closed_at: datetime | None = None
    earlier_owners: set[str] = field(default_factory=set)
    account: AccountMatch | None = None

    @classmethod
    def of(cls, row: Any) -> Lead:
        values = dict(row)
        profile = values.pop("profile")
        return cls(**values, profile=LeadProfile.model_validate_json(profile) if profile else None)

    def inputs(self) -> dict[str, Any]:
        """What the rules tested, kept with the record so a replay can test a draft's rules."""
        account = self.account
        return {
            "score": self.score,
            "grade": self.grade,
            "qualified": self.qualified,
            "profile": self.profile.model_dump(mode="json") if self.profile else None,
            "account": None
            if account is None
            else {
                "id": account.account.id,
                "name": account.account.name,
                "owner": account.account.owner,
                "matched_by": account.matched_by,
            },
        }


def account_of(inputs: dict[str, Any]) -> AccountMatch | None:
    found = inputs.get("account")
    if not found:
        return None
    # an erased lead's record keeps the account's id and owner only (routing.db.erasure)
    return AccountMatch(
        Account(found["id"], found.get("name", found["id"]), found["owner"]),
        found.get("matched_by", "domain"),
    )
