"""The events the delivery tests consume, and consuming them as sla-monitor's consumer would: the
lead's card and its deliveries written in one transaction. Shared by test_deliveries.py and
test_crm_deliveries.py (a module, not a conftest: these are plain functions, not fixtures)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from lead_schemas import (
    Envelope,
    LeadCaptured,
    LeadCapturedData,
    LeadProgressed,
    LeadProgressedData,
    LeadQualified,
    LeadQualifiedData,
    Person,
    RepChanged,
    RepChangedData,
    Touch,
)
from leadkit.consumer import HandlerContext
from leadkit.db import Pool
from leadkit.messaging import Outbox
from sla_monitor.delivery import handlers

NOW = datetime.now(UTC).replace(microsecond=0)


async def consume(pool: Pool, events: Sequence[Envelope], at: datetime = NOW) -> None:
    async with pool.acquire() as conn, conn.transaction():
        ctx = HandlerContext(conn, Outbox(), at)
        await handlers.remember_captures([e for e in events if isinstance(e, LeadCaptured)], ctx)
        await handlers.enqueue_deliveries(list(events), ctx)


def rep_changed(rep_id: str, *, team: str = "emea", active: bool = True, deleted: bool = False) -> RepChanged:
    return RepChanged.of(
        RepChangedData(rep_id=rep_id, team=team, active=active, deleted=deleted),
        producer="routing",
        occurred_at=NOW,
    )


async def announce(pool: Pool, *events: RepChanged) -> None:
    """Consume routing's roster events as sla-monitor's consumer would."""
    async with pool.acquire() as conn, conn.transaction():
        await handlers.remember_reps(list(events), HandlerContext(conn, Outbox(), NOW))


def captured(lead_id: UUID, name: str) -> LeadCaptured:
    return LeadCaptured.new(
        producer="capture",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=NOW,
        data=LeadCapturedData(
            is_new=True,
            person=Person(email=f"{name.lower()}@northwind.example", first_name=name, company="Northwind"),
            touch=Touch(id=str(uuid4()), occurred_at=NOW, source="google", medium="cpc", campaign="brand"),
        ),
    )


def qualified(
    lead_id: UUID, owner: str = "amara", *, grade: str = "A", team: str = "emea", at: datetime = NOW
) -> LeadQualified:
    return LeadQualified.new(
        producer="routing",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=at,
        data=LeadQualifiedData(
            owner=owner, reason="round robin", rule="emea", score=80, grade=grade, assignment=1, team=team
        ),
    )


def progressed(lead_id: UUID, stage: str, at: datetime = NOW) -> LeadProgressed:
    return LeadProgressed.new(
        producer="sla-monitor",
        lead_id=lead_id,
        correlation_id=lead_id,
        occurred_at=at,
        data=LeadProgressedData(stage=stage, owner="amara"),  # type: ignore[arg-type]
    )
