"""The funnel row fold: events of one lead in any order give the same row. Pure."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from lead_schemas import (
    Envelope,
    LeadCaptured,
    LeadCapturedData,
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadQualifiedData,
    Person,
    Touch,
)
from reporting.db.tables import LeadFunnel
from reporting.domain.projection import COLUMN_TYPES, COLUMNS, FunnelRow, project

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEAD = uuid4()


def captured(source: str, at: datetime) -> LeadCaptured:
    return LeadCaptured.new(
        producer="test",
        lead_id=LEAD,
        correlation_id=uuid4(),
        occurred_at=at,
        data=LeadCapturedData(
            is_new=False,
            person=Person(email="a@example.com"),
            touch=Touch(id="t", occurred_at=at, source=source),
        ),
    )


def progressed(stage: str, amount: str | None = None) -> LeadProgressed:
    data = LeadProgressedData(stage=stage, amount=Decimal(amount) if amount else None)  # type: ignore[arg-type]
    return LeadProgressed.new(
        producer="test", lead_id=LEAD, correlation_id=uuid4(), occurred_at=T0, data=data
    )


def qualified(at: datetime) -> LeadQualified:
    data = LeadQualifiedData(owner="ada", reason="r", rule="round_robin", score=80, grade="A", assignment=1)
    return LeadQualified.new(producer="test", lead_id=LEAD, correlation_id=uuid4(), occurred_at=at, data=data)


def folded(events: list[Envelope]) -> FunnelRow:
    row = FunnelRow(lead_id=LEAD)
    for event in events:
        project(row, event)
    return row


def test_every_order_of_one_leads_events_gives_the_same_row() -> None:
    events: list[Envelope] = [
        captured("webinar", T0 + timedelta(days=2)),
        captured("google", T0),
        qualified(T0 + timedelta(hours=1)),
        qualified(T0 + timedelta(hours=5)),
        progressed("won", "1200.00"),
        progressed("won", "1500.00"),
    ]
    rows = {tuple(folded(list(order)).values()) for order in itertools.permutations(events[:4])}
    assert len(rows) == 1
    row = folded(events)
    assert (row.source, row.captured_at, row.touches) == ("google", T0, 2)  # the earliest touch is first
    assert row.mql_at == T0 + timedelta(hours=1)
    assert (row.is_sal, row.is_sql, row.is_opportunity, row.is_won) == (True, True, True, True)
    assert row.revenue == Decimal("1500.00")  # a repeated won report replaces the amount, never adds


def test_a_lost_lead_reaches_no_stage() -> None:
    row = folded([progressed("lost")])
    assert not row.is_sal
    assert not row.is_won


def test_the_row_is_the_table_and_every_column_has_its_type() -> None:
    assert tuple(column.name for column in LeadFunnel.__table__.columns) == COLUMNS
    assert len(COLUMN_TYPES) == len(COLUMNS)
