"""A lead as routing holds it between events, and the account match a record keeps. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from lead_schemas import LeadProfile
from routing.domain.accounts import Account, AccountMatch


@dataclass
class Lead:
    """A lead as routing holds it: its score, owner, status and team, and what a decision reads."""

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
    # an erased lead's record keeps the account's id and owner only (db/erasure.py)
    return AccountMatch(
        Account(found["id"], found.get("name", found["id"]), found["owner"]),
        found.get("matched_by", "domain"),
    )
