"""The SLA policy's clocks on the real database: started on assignment and acceptance, met by
steps with the business minutes they took, the cadence guard, escalation by the sweep."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from lead_schemas import LeadCaptured, LeadCapturedData, LeadQualified, LeadQualifiedData
from lead_schemas.events import Person, Touch
from leadkit.consumer import HandlerContext
from leadkit.db import Connection, Pool
from leadkit.messaging import Outbox
from leadkit.quarantine import quarantined, release
from sla_monitor.db.calendars import save_calendar
from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.stages import ImpossibleStep, Step
from sla_monitor.handlers import know_captured_leads, start_accept_clocks
from sla_monitor.parts import SlaParts
from sla_monitor.progress import CadenceNotDone, StepBeforeCapture, UnknownLead, report_progress
from sla_monitor.workers import fire_due_timers, fire_round

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def captured(lead_id: UUID, at: datetime, email: str) -> LeadCaptured:
    touch = Touch(id=uuid4().hex, occurred_at=at, source="google")
    return LeadCaptured.new(
        producer="capture",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=at,
        data=LeadCapturedData(is_new=True, person=Person(email=email), touch=touch, first_touch=touch),
    )


def qualified(
    lead_id: UUID, at: datetime, owner: str | None, *, assignment: int = 1, team: str = "it-team"
) -> LeadQualified:
    return LeadQualified.new(
        producer="routing",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=at,
        data=LeadQualifiedData(
            owner=owner,
            reason="test",
            rule="it",
            score=80,
            grade="A",
            assignment=assignment,
            team=team,
            source="google",
            region="emea",
        ),
    )


def events(outbox: Outbox, topic: str) -> list[dict[str, Any]]:
    return [json.loads(row.payload) for row in outbox.rows if row.topic == topic]


async def clocks(conn: Connection, lead_id: UUID) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT * FROM timers WHERE lead_id = $1 AND escalation <> 'warn' ORDER BY id", lead_id
    )
    return {row["clock"]: row for row in rows}


async def assigned_lead(conn: Connection, parts: SlaParts, owner: str = "ada") -> UUID:
    lead_id = uuid4()
    async with conn.transaction():
        ctx = HandlerContext(conn, Outbox(), T0)
        await know_captured_leads([captured(lead_id, T0, f"{lead_id.hex}@example.com")], ctx)
        await start_accept_clocks([qualified(lead_id, T0 + timedelta(minutes=1), owner)], ctx, parts=parts)
    return lead_id


async def step(conn: Connection, parts: SlaParts, lead_id: UUID, report: Step, at: datetime) -> Outbox:
    outbox = Outbox()
    async with conn.transaction():
        await report_progress(conn, lead_id, report, parts=parts, outbox=outbox, now=at)
    return outbox


async def test_acceptance_meets_the_accept_clock_and_starts_the_rest(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        lead_id = await assigned_lead(conn, parts)
        (accept,) = (await clocks(conn, lead_id)).values()
        assert (accept["tier"], accept["owner"], accept["status"]) == ("it", "ada", "pending")
        assert accept["due_at"] == T0 + timedelta(minutes=31)
        warning = await conn.fetchval(
            "SELECT due_at FROM timers WHERE lead_id = $1 AND escalation = 'warn'", lead_id
        )
        assert warning == T0 + timedelta(minutes=16)  # half of the 30 minutes

        outbox = await step(conn, parts, lead_id, Step(stage="accepted"), T0 + timedelta(minutes=11))
        (progressed,) = events(outbox, "lead.progressed")
        assert progressed["data"]["clocks_met"] == [
            {"clock": "accept", "business_minutes": 10.0, "target_minutes": 30.0, "in_time": True}
        ]
        found = await clocks(conn, lead_id)
        assert (found["accept"]["status"], found["accept"]["business_minutes"]) == ("met", Decimal("10.00"))
        assert found["accept"]["met_by"] == "ada"
        assert {name: row["status"] for name, row in found.items()} == {
            "accept": "met",
            "first_contact": "pending",
            "follow_up": "pending",
            "disposition": "pending",
        }
        assert found["first_contact"]["due_at"] == T0 + timedelta(minutes=71)
        assert found["follow_up"]["due_at"] == T0 + timedelta(minutes=11, days=1)  # a day, around the clock
        assert found["follow_up"]["required_attempts"] == 2
        # the accept clock's warning went with it
        statuses = await conn.fetch(
            "SELECT clock, status FROM timers WHERE lead_id = $1 AND escalation = 'warn' ORDER BY id", lead_id
        )
        assert [tuple(row) for row in statuses] == [
            ("accept", "cancelled"),
            ("first_contact", "pending"),  # the others warn at 80 %, the policy's default share
            ("follow_up", "pending"),
            ("disposition", "pending"),
        ]


async def test_the_follow_up_cadence_guards_closing_as_unresponsive(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        lead_id = await assigned_lead(conn, parts)
        await step(conn, parts, lead_id, Step(stage="accepted"), T0 + timedelta(minutes=2))
        await step(conn, parts, lead_id, Step(stage="contacted", channel="call"), T0 + timedelta(minutes=32))
        with pytest.raises(CadenceNotDone, match="after 1 of 2 follow-up attempts"):
            await step(
                conn, parts, lead_id, Step(stage="lost", reason="no_decision"), T0 + timedelta(hours=1)
            )
        found = await clocks(conn, lead_id)
        assert (found["first_contact"]["status"], found["first_contact"]["business_minutes"]) == (
            "met",
            Decimal("30.00"),
        )
        assert (found["follow_up"]["status"], found["follow_up"]["attempts"]) == ("pending", 1)

        await step(conn, parts, lead_id, Step(stage="contacted", channel="email"), T0 + timedelta(hours=2))
        found = await clocks(conn, lead_id)
        assert (found["follow_up"]["status"], found["follow_up"]["attempts"]) == ("met", 2)
        outbox = await step(
            conn, parts, lead_id, Step(stage="lost", reason="no_decision"), T0 + timedelta(hours=3)
        )
        (recycled,) = events(outbox, "lead.recycled")
        assert recycled["data"]["reason"] == "lost_not_now"
        assert (recycled["data"]["reason_code"], recycled["data"]["nurture_track"]) == (
            "no_decision",
            "it-later",
        )
        found = await clocks(conn, lead_id)
        assert found["disposition"]["status"] == "met"  # a loss is a disposition


async def test_a_forced_close_skips_the_cadence_and_is_recorded(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        lead_id = await assigned_lead(conn, parts)
        await step(conn, parts, lead_id, Step(stage="accepted"), T0 + timedelta(minutes=2))
        outbox = await step(
            conn,
            parts,
            lead_id,
            Step(stage="lost", reason="no_decision", force=True, detail="went bust"),
            T0 + timedelta(minutes=3),
        )
        (progressed,) = events(outbox, "lead.progressed")
        assert progressed["data"]["forced"] is False  # the order allowed it; only the cadence was skipped
        forced = await step(
            conn,
            parts,
            lead_id,
            Step(stage="won", amount=Decimal(5), force=True, detail="typo"),
            T0 + timedelta(minutes=4),
        )
        assert events(forced, "lead.progressed")[0]["data"]["forced"] is True


async def test_steps_are_checked_against_the_leads_record(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        lead_id = await assigned_lead(conn, parts)
        with pytest.raises(StepBeforeCapture):
            await step(conn, parts, lead_id, Step(stage="accepted", occurred_at=T0 - timedelta(days=1)), T0)
        with pytest.raises(ImpossibleStep):
            await step(conn, parts, lead_id, Step(stage="won", amount=Decimal(1)), T0)
        with pytest.raises(UnknownLead):
            await step(conn, parts, uuid4(), Step(stage="accepted"), T0)


async def test_a_lead_that_never_qualified_takes_outcomes_without_clocks(pool: Pool, parts: SlaParts) -> None:
    lead_id = uuid4()
    async with pool.acquire() as conn:
        async with conn.transaction():
            await know_captured_leads(
                [captured(lead_id, T0, "x@example.com")], HandlerContext(conn, Outbox(), T0)
            )
        outbox = await step(
            conn, parts, lead_id, Step(stage="won", amount=Decimal("900.00")), T0 + timedelta(days=9)
        )
        (progressed,) = events(outbox, "lead.progressed")
        assert (progressed["data"]["stage"], progressed["data"]["owner"]) == ("won", None)
        assert await clocks(conn, lead_id) == {}


async def test_the_sweep_escalates_as_each_clock_says(pool: Pool, parts: SlaParts) -> None:
    async with pool.acquire() as conn:
        lead_id = await assigned_lead(conn, parts)
        await step(conn, parts, lead_id, Step(stage="accepted"), T0 + timedelta(minutes=2))
        # an hour later than first contact's due time: it breaches (notify); two hours after
        # acceptance disposition breaches too (recycle: the lead goes back to marketing)
        outbox = Outbox()
        late = T0 + timedelta(hours=3)
        async with conn.transaction():
            while await fire_due_timers(conn, parts=parts, outbox=outbox, now=late):
                pass
        breaches = {
            e["data"]["policy"]: e["data"]
            for e in events(outbox, "lead.sla_breached")
            if e["lead_id"] == str(lead_id)
        }
        assert breaches["first_contact"]["escalation"] == "notify"
        assert breaches["first_contact"]["team"] == "it-team"
        assert breaches["first_contact"]["target_minutes"] == 60.0
        assert breaches["disposition"]["escalation"] == "recycle"
        (recycled,) = [e for e in events(outbox, "lead.recycled") if e["lead_id"] == str(lead_id)]
        assert (recycled["data"]["reason"], recycled["data"]["nurture_track"]) == (
            "sla_exhausted",
            "it-rescue",
        )
        found = await clocks(conn, lead_id)
        assert found["follow_up"]["status"] == "cancelled"  # the lead left sales
        assert await conn.fetchval("SELECT stage FROM leads WHERE lead_id = $1", lead_id) == "recycled"


async def test_a_friday_evening_lead_falls_due_in_the_teams_next_business_hours(
    pool: Pool, parts: SlaParts
) -> None:
    """The issue's example on the real database, with a holiday: a team calendar 9-18 Berlin with
    Monday 30 November 2026 off; a lead assigned Friday 27 November at 17:50 Berlin time with a
    30-minute accept clock (its half-way warning too) falls due Tuesday at 09:20."""
    team = f"berlin-{uuid4().hex[:6]}"
    monday = date(2026, 11, 30)
    calendar = BusinessCalendar.of("Europe/Berlin", "mon-fri 09:00-18:00", frozenset({monday}))
    friday_evening = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)  # 17:50 in Berlin (UTC+1)
    lead_id = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await save_calendar(conn, team, calendar, "mon-fri 09:00-18:00", friday_evening)
        ctx = HandlerContext(conn, Outbox(), friday_evening)
        await know_captured_leads([captured(lead_id, friday_evening, f"{lead_id.hex}@example.com")], ctx)
        await start_accept_clocks([qualified(lead_id, friday_evening, "ada", team=team)], ctx, parts=parts)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT escalation, due_at, calendar FROM timers WHERE lead_id = $1 ORDER BY id", lead_id
        )
    (clock, warning) = rows
    assert clock["due_at"] == datetime(2026, 12, 1, 8, 20, tzinfo=UTC)  # Tuesday 09:20 Berlin
    assert clock["calendar"] == team
    # 15 of the 30 minutes: 10 on Friday, 5 on Tuesday
    assert (warning["escalation"], warning["due_at"]) == ("warn", datetime(2026, 12, 1, 8, 5, tzinfo=UTC))


async def test_a_lead_whose_timers_cannot_fire_is_quarantined_and_the_rest_fire(
    pool: Pool, parts: SlaParts
) -> None:
    """A timer at `-infinity` (what PostgreSQL made of year 1 before the kit bounded instants)
    used to fail every sweep for good; now its lead is set aside and the others fire."""
    async with pool.acquire() as conn:
        poisoned, healthy = await assigned_lead(conn, parts), await assigned_lead(conn, parts)
        await conn.execute(
            "UPDATE timers SET due_at = '-infinity' WHERE lead_id = $1 AND escalation <> 'warn'", poisoned
        )
    late = T0 + timedelta(hours=1)
    try:
        while await fire_round(pool, parts, now=late, notify=False) != 0:
            pass
        async with pool.acquire() as conn:
            assert (await clocks(conn, healthy))["accept"]["status"] == "breached"
            assert (await clocks(conn, poisoned))["accept"]["status"] == "pending"  # kept, not lost
            (row,) = [r for r in await quarantined(conn, "sla-timers") if r.item == str(poisoned)]
            assert row.attempts == 1
            assert row.error
    finally:  # fixed and released, whatever happened: no other test's sweep meets the poison
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE timers SET due_at = $2 WHERE lead_id = $1 AND due_at = '-infinity'",
                poisoned,
                T0 + timedelta(minutes=31),
            )
            await release(conn, "sla-timers", [str(poisoned)])
    while await fire_round(pool, parts, now=late, notify=False) != 0:
        pass
    async with pool.acquire() as conn:
        assert (await clocks(conn, poisoned))["accept"]["status"] == "breached"
        assert str(poisoned) not in {r.item for r in await quarantined(conn, "sla-timers")}
