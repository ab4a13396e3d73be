"""Single leads that arrive close together share one statement, on the real database: each is
answered as if written alone, one the database refuses fails alone, a lead after a quiet spell
waits for nothing and a lead of a stream waits at most the gather."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from capture.api.models import LeadCreate
from capture.intake import Answer, Intake, write_plain
from capture.shared_writes import SharedWrites, Sink
from leadkit.db import Pool

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


class Writes:
    """A sink on the test database that records how many leads each statement carried."""

    def __init__(self, pool: Pool) -> None:
        self.groups: list[int] = []
        self.woken: list[int] = []
        self.sink = Sink(write=self._write, written=self.woken.append)
        self._plain = partial(write_plain, pool, lambda: NOW, lambda: False)

    async def _write(self, intakes: Sequence[Intake]) -> list[Answer]:
        self.groups.append(len(intakes))
        return await self._plain(intakes)


def plain(run: str, n: int, first_name: str = "Ada") -> Intake:
    fields = {"email": f"ada.{run}.{n}@engines-{run}.example", "first_name": "Ada"}
    submission = LeadCreate.model_validate(fields).to_submission(via="api")
    person = dataclasses.replace(submission.person, first_name=first_name)
    return Intake(dataclasses.replace(submission, person=person), correlation_id=uuid4())


async def together(shared: SharedWrites, writes: Writes, intakes: list[Intake]) -> list[Any]:
    woken_before = sum(writes.woken)
    answers = await asyncio.gather(
        *(shared.accept(intake, writes.sink) for intake in intakes), return_exceptions=True
    )
    # the relay is woken once for each lead committed
    assert sum(writes.woken) - woken_before == sum(isinstance(answer, Answer) for answer in answers)
    return answers


async def test_leads_arriving_during_a_write_share_the_next_statement(pool: Pool) -> None:
    run = uuid4().hex[:8]
    writes, shared = Writes(pool), SharedWrites(writers=1, gather_ms=0)
    intakes = [plain(run, n) for n in range(10)]
    answers = await together(shared, writes, intakes)
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
    writes, shared = Writes(pool), SharedWrites(writers=1, gather_ms=0)
    intakes = [plain(run, n) for n in range(4)]
    intakes.insert(2, plain(run, 99, first_name="Ada\x00"))  # text PostgreSQL cannot store
    answers = await together(shared, writes, intakes)
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
async def test_leads_apart_go_alone_without_a_gather(pool: Pool, writers: int) -> None:
    run = uuid4().hex[:8]
    writes, shared = Writes(pool), SharedWrites(writers=writers, gather_ms=0)
    for n in range(3):
        (answer,) = await together(shared, writes, [plain(run, n)])
        assert isinstance(answer, Answer)
    assert writes.groups == [1, 1, 1]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_lead_of_a_stream_waits_for_company_and_one_after_a_quiet_spell_does_not(
    pool: Pool,
) -> None:
    run = uuid4().hex[:8]
    clock = Clock()
    writes = Writes(pool)
    # a gather no test would wait out: only the count, or the clock moving past it, ends it
    shared = SharedWrites(writers=1, gather_ms=60_000, gather=3, clock=clock)
    (first,) = await together(shared, writes, [plain(run, 0)])  # after a quiet spell: at once
    assert isinstance(first, Answer)
    assert writes.groups == [1]
    clock.now += 1  # a second later, well within the gather: a stream
    second = asyncio.create_task(shared.accept(plain(run, 1), writes.sink))
    third = asyncio.create_task(shared.accept(plain(run, 2), writes.sink))
    for _ in range(3):  # yield: a write started by mistake would have reached the sink by now
        await asyncio.sleep(0)
    assert writes.groups == [1]
    assert not second.done()
    assert not third.done()
    fourth = await shared.accept(plain(run, 3), writes.sink)  # the third waiting: the gather ends
    assert isinstance(fourth, Answer)
    assert isinstance(await second, Answer)
    assert isinstance(await third, Answer)
    assert writes.groups == [1, 3]
    clock.now += 61  # past the gather since that write began: a quiet spell again
    (fifth,) = await together(shared, writes, [plain(run, 4)])
    assert isinstance(fifth, Answer)
    assert writes.groups == [1, 3, 1]


async def test_one_person_posted_twice_in_one_group_is_one_lead_with_two_touches(pool: Pool) -> None:
    """A double-clicked form: the second post merges into the person the first created."""
    run = uuid4().hex[:8]
    writes, shared = Writes(pool), SharedWrites(writers=1, gather_ms=0)
    first, twice, again = plain(run, 0), plain(run, 1), plain(run, 1)
    answers = await together(shared, writes, [first, twice, again])
    assert writes.groups == [1, 2]
    assert all(isinstance(answer, Answer) and answer.status_code == 202 for answer in answers)
    assert answers[1].body["lead_id"] == answers[2].body["lead_id"]
    async with pool.acquire() as conn:
        touches = await conn.fetchval(
            "SELECT count(*) FROM touches WHERE lead_id = $1", UUID(answers[1].body["lead_id"])
        )
    assert touches == 2
