"""Single leads that arrive while one is being written share the next statement, on the real
database: each is answered as if written alone, and one the database refuses fails alone."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from capture.api.models import LeadCreate
from capture.intake import Answer, Intake
from capture.shared_writes import SharedWrites
from leadkit.db import Pool

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class CountingWrites(SharedWrites):
    """Records how many leads each statement carried."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups: list[int] = []

    async def _write(self, pool: Pool, intakes: list[Intake], now: datetime, notify: bool) -> list[Answer]:
        self.groups.append(len(intakes))
        return await super()._write(pool, intakes, now, notify)


def plain(run: str, n: int, first_name: str = "Ada") -> Intake:
    fields = {"email": f"ada.{run}.{n}@engines-{run}.example", "first_name": "Ada"}
    submission = LeadCreate.model_validate(fields).to_submission(via="api")
    person = dataclasses.replace(submission.person, first_name=first_name)
    return Intake(dataclasses.replace(submission, person=person), correlation_id=uuid4())


async def accept_together(writes: SharedWrites, pool: Pool, intakes: list[Intake]) -> list[Any]:
    woken: list[int] = []
    answers = await asyncio.gather(
        *(
            writes.accept(pool, intake, now=lambda: NOW, notify=lambda: False, written=woken.append)
            for intake in intakes
        ),
        return_exceptions=True,
    )
    assert sum(woken) == sum(isinstance(answer, Answer) for answer in answers)
    return answers


async def test_leads_arriving_during_a_write_share_the_next_statement(pool: Pool) -> None:
    run = uuid4().hex[:8]
    writes = CountingWrites(writers=1)
    intakes = [plain(run, n) for n in range(10)]
    answers = await accept_together(writes, pool, intakes)
    assert writes.groups == [1, 9]  # the first went at once; the nine that came meanwhile, together
    assert all(isinstance(answer, Answer) and answer.status_code == 202 for answer in answers)
    lead_ids = [UUID(answer.body["lead_id"]) for answer in answers]
    assert [answer.body["correlation_id"] for answer in answers] == [str(i.correlation_id) for i in intakes]
    async with pool.acquire() as conn:
        stored = await conn.fetch("SELECT id, email FROM leads WHERE id = ANY($1::uuid[])", lead_ids)
    assert {row["id"]: row["email"] for row in stored} == {
        lead_id: intake.submission.person.email for lead_id, intake in zip(lead_ids, intakes, strict=True)
    }


async def test_a_lead_the_database_refuses_fails_alone(pool: Pool) -> None:
    run = uuid4().hex[:8]
    writes = CountingWrites(writers=1)
    intakes = [plain(run, n) for n in range(4)]
    intakes.insert(2, plain(run, 99, first_name="Ada\x00"))  # text PostgreSQL cannot store
    answers = await accept_together(writes, pool, intakes)
    assert writes.groups == [1, 4, 1, 1, 1, 1]  # the group failed, then each of it alone
    assert isinstance(answers[2], Exception)
    good = [answer for i, answer in enumerate(answers) if i != 2]
    assert all(isinstance(answer, Answer) and answer.status_code == 202 for answer in good)
    async with pool.acquire() as conn:
        emails = await conn.fetchval(
            "SELECT count(*) FROM leads WHERE email LIKE $1", f"ada.{run}.%@engines-{run}.example"
        )
    assert emails == 4


@pytest.mark.parametrize("writers", [1, 3])
async def test_a_lead_after_a_quiet_spell_waits_for_nothing(pool: Pool, writers: int) -> None:
    run = uuid4().hex[:8]
    writes = CountingWrites(writers=writers)
    for n in range(3):
        (answer,) = await accept_together(writes, pool, [plain(run, n)])
        assert isinstance(answer, Answer)
    assert writes.groups == [1, 1, 1]
    assert writes._writing == 0
