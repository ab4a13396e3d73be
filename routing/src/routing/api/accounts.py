"""Accounts and their owners over HTTP: lead-to-account matching reads them.

Every route needs a system key. A change takes effect for the next lead routed: every batch
matches against the accounts as they are. A wrong field is a 422 that names it.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import AfterValidator, BaseModel, Field, field_validator

from leadkit.access import require_role
from leadkit.service import Deps, get_deps
from routing.api.roster import Body, Id, printable
from routing.db.roster import (
    load_roster,
    upsert_accounts,
)
from routing.db.views import account_by_id
from routing.domain.accounts import Account, account_problems, normalize_domain

router = APIRouter(prefix="/v1", tags=["accounts"], dependencies=[Depends(require_role("viewer"))])
DepsParam = Annotated[Deps, Depends(get_deps)]


class AccountWrite(Body):
    id: Id
    name: Annotated[str, Field(min_length=1, max_length=300), AfterValidator(printable)]
    owner: Id | None = None
    domains: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        found = [normalize_domain(v) for v in values]
        for value, domain in zip(values, found, strict=True):
            if "." not in domain or not re.fullmatch(r"[a-z0-9.-]+", domain):
                raise ValueError(f"{value!r} is not a domain like acme.com")
        return sorted(set(found))


class AccountsWrite(Body):
    accounts: list[AccountWrite] = Field(min_length=1, max_length=10_000)


class AccountRead(BaseModel):
    id: str
    name: str
    normalized_name: str
    owner: str | None
    domains: list[str]


@router.put(
    "/accounts",
    dependencies=[Depends(require_role("admin"))],
    summary="Create or replace accounts with their owners and domains",
)
async def put_accounts(body: AccountsWrite, deps: DepsParam) -> dict[str, int]:
    async with deps.pool.acquire() as conn, conn.transaction():
        roster = await load_roster(conn)
        problems = account_problems([(a.id, a.owner, a.domains) for a in body.accounts], roster.reps)
        if problems:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                [{"loc": ["body", "accounts", index, part], "msg": msg} for index, part, msg in problems],
            )
        await upsert_accounts(
            conn, [Account(a.id, a.name, a.owner, tuple(a.domains)) for a in body.accounts], deps.clock()
        )
    return {"accounts": len(body.accounts)}


@router.get("/accounts/{account_id}", response_model=AccountRead, summary="One account")
async def get_account(account_id: Id, deps: DepsParam) -> AccountRead:
    async with deps.pool.acquire() as conn:
        row = await account_by_id(conn, account_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no account {account_id!r}")
    return AccountRead(**asdict(row))
