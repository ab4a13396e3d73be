"""A forgotten person is gone from every store and every topic, and the reports still count them.

A full journey (capture with custom attributes, a click id and a landing page whose query string
holds the email; scoring, routing, sales' steps with free text about the person, a win), then
`POST /v1/erasures` by phone. The test then reads every table of all five services' databases
(bytea as text: the outbox keeps payloads) and every topic of the test system from its beginning
(keys, values, headers), and finds none of the person's identifiers. The test topics' privacy
window is 20 s (`make test`), so the personal topics let go of the person within about a minute.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from leadkit.db import create_engine
from leadkit.testing import eventually
from tests.system.fixtures import QUALIFYING, SERVICES, TOPIC_PREFIX, System, database_url

KAFKA = "127.0.0.1:9092"
_COLUMNS = """
SELECT c.column_name, c.data_type FROM information_schema.columns c
WHERE c.table_schema = 'public' AND c.table_name = :table ORDER BY c.ordinal_position
"""
_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"


def person(run: str) -> tuple[dict[str, Any], list[str]]:
    email = f"ernestine.{run}@quillfeather-{run}.example"
    phone = f"+49151{random.randrange(10**7, 10**8)}"
    lead = {
        **QUALIFYING,
        "email": email,
        "phone": phone,
        "first_name": f"Ernestine{run}",
        "last_name": f"Vanderquist{run}",
        "company": f"Quillfeather {run} GmbH",
        "job_title": f"Chief Erasure Officer {run}",
        "country": "DE",
        "utm_source": f"erasure-{run}",
        "gclid": f"gclid-{run}",
        "page_url": f"https://www.example.com/demo?email={email}&ref=landing-{run}",
        "favourite_colour": f"ultramarine-{run}",
    }
    identifiers = [
        email,
        email.replace("@", "%40"),
        phone,
        phone.removeprefix("+"),
        f"Ernestine{run}",
        f"Vanderquist{run}",
        f"Quillfeather {run}",
        f"Erasure Officer {run}",
        f"quillfeather-{run}.example",
        f"gclid-{run}",
        f"landing-{run}",
        f"ultramarine-{run}",
        f"note-about-{run}",
    ]
    return lead, identifiers


async def stored_anywhere(identifiers: Sequence[str]) -> list[str]:
    """`service.table: identifier` for every table of every service's test database holding one."""
    found: list[str] = []
    patterns = [f"%{identifier}%" for identifier in identifiers]
    for module, *_ in SERVICES.values():
        engine = create_engine(database_url(module), pool_size=1)
        try:
            async with engine.connect() as conn:
                for (table,) in (await conn.execute(text(_TABLES))).all():
                    columns = (await conn.execute(text(_COLUMNS), {"table": table})).all()
                    texts = [
                        f"coalesce(encode(\"{name}\", 'escape'), '')"
                        if kind == "bytea"
                        else f"coalesce(\"{name}\"::text, '')"
                        for name, kind in columns
                    ]
                    whole = " || ' ' || ".join(texts)
                    for pattern in patterns:
                        statement = text(f'SELECT count(*) FROM "{table}" WHERE ({whole}) ILIKE :pattern')
                        if await conn.scalar(statement, {"pattern": pattern}):
                            found.append(f"{module}.{table}: {pattern.strip('%')}")
        finally:
            await engine.dispose()
    return found


async def published_anywhere(identifiers: Sequence[str]) -> list[str]:
    """`topic: identifier` for every topic of the test system whose records hold one."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(TOPIC_PREFIX)]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]]
    wanted = [identifier.lower().encode() for identifier in identifiers]
    found: set[str] = set()
    # earliest: the window deletes old segments while this reads; an offset gone from under the
    # reader must restart it at the log's new start, not skip to the end
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            for tp, records in (await consumer.getmany(*left, timeout_ms=1000)).items():
                for record in records:
                    blob = b" ".join(
                        [record.key or b"", record.value or b"", *(v for _, v in record.headers or ())]
                    ).lower()
                    found |= {f"{tp.topic}: {w.decode()}" for w in wanted if w in blob}
            for tp in list(left):
                if await consumer.position(tp) >= ends[tp]:
                    left.discard(tp)
    finally:
        await consumer.stop()
    return sorted(found)


async def test_an_erased_person_is_in_no_store_and_no_topic_and_still_counted(
    system: System, client: httpx.AsyncClient
) -> None:
    run = uuid4().hex[:8]
    lead, identifiers = person(run)
    posted = await client.post(system.url("capture", "/v1/leads"), json=lead, headers=system.headers)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["lead_id"]
    # the same person again by phone alone: a second capture, erased with the first
    again = await client.post(
        system.url("capture", "/v1/leads"),
        json={"phone": lead["phone"], "utm_source": lead["utm_source"], "first_name": lead["first_name"]},
        headers=system.headers,
    )
    assert again.status_code == 202, again.text

    async def owned() -> None:
        sla = await client.get(system.url("sla-monitor", f"/v1/leads/{lead_id}/sla"), headers=system.headers)
        assert sla.status_code == 200, sla.text
        assert sla.json()["owner"] is not None

    await eventually(owned, within=60)
    # the search finds the person on the personal topics while their window lasts
    assert any(
        found.startswith(f"{TOPIC_PREFIX}lead.captured:") for found in await published_anywhere(identifiers)
    )
    for step in (
        {"stage": "accepted", "detail": f"called Ernestine{run} on {lead['phone']}"},
        {"stage": "contacted", "channel": "call", "detail": f"note-about-{run}: likes ultramarine-{run}"},
        {"stage": "won", "amount": "1200.00", "currency": "EUR", "detail": f"signed by Vanderquist{run}"},
    ):
        answer = await client.post(
            system.url("sla-monitor", f"/v1/leads/{lead_id}/progress"), json=step, headers=system.headers
        )
        assert answer.status_code == 202, answer.text

    async def funnel() -> tuple[int, int]:
        answer = await client.get(
            system.url("reporting", "/v1/reports/funnel"),
            params={"group_by": "source"},
            headers=system.headers,
        )
        rows = [row for row in answer.json()["rows"] if row["key"] == lead["utm_source"]]
        return (rows[0]["leads"], rows[0]["won"]) if rows else (0, 0)

    async def counted_before() -> None:
        assert await funnel() == (2, 1)

    await eventually(counted_before, within=60)
    assert await stored_anywhere(identifiers)  # the search finds the person before the erasure

    erased = await client.post(
        system.url("capture", "/v1/erasures"), json={"phone": lead["phone"]}, headers=system.headers
    )
    assert erased.status_code == 202, erased.text
    assert len(erased.json()["lead_ids"]) == 2
    assert lead_id in erased.json()["lead_ids"]

    async def gone_from_every_store() -> None:
        assert await stored_anywhere(identifiers) == []

    await eventually(gone_from_every_store, within=60)

    async def gone_from_every_topic() -> None:
        assert await published_anywhere(identifiers) == []

    # the personal topics keep a record for the test topics' 20 s window; a segment rolls after
    # 20 s and the broker looks every 15 s
    await eventually(gone_from_every_topic, within=150, interval=5)
    assert await funnel() == (2, 1)  # counts stay
    # a late or replayed capture finds the tombstones: nothing of the person comes back
    score = await client.get(system.url("scoring", f"/v1/leads/{lead_id}/score"), headers=system.headers)
    assert score.status_code == 200
    assert f"Erasure Officer {run}" not in score.text
