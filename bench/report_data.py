"""A year of leads for reporting's benchmark, as real events on the bench topics reporting reads:
`lead.captured.history` (the history twin, without personal data) for every touch (a lead's first
with `is_new`), `lead.qualified` for the MQLs, `lead.progressed` for sales' steps — the shapes of
schemas/, checked by parsing a sample of each with it.

`python bench/report_data.py [LEADS]` (default 1,000,000; about three touches a lead). The numbers
are seeded, so every run makes the same year."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from lead_schemas import parse_event

SOURCES = {  # source → (medium, channel)
    "google": ("cpc", "paid_search"),
    "bing": ("cpc", "paid_search"),
    "linkedin": ("paid_social", "paid_social"),
    "facebook": ("paid_social", "paid_social"),
    "newsletter": ("email", "email"),
    "partner": ("referral", "referral"),
    "organic": ("organic", "organic_search"),
    "webinar": ("event", "events"),
}
CAMPAIGNS = [f"campaign-{i}" for i in range(20)]
CONTENTS = [f"content-{i}" for i in range(10)]
TEAMS = ["emea", "amer", "apac", "smb"]
REPS = [f"rep-{i}" for i in range(24)]
LOST = ["price", "lost_to_competitor", "no_decision", "no_budget"]
REJECTED = ["not_a_lead", "bad_data", "no_need"]
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)


def _envelope(kind: str, lead: str, at: datetime, data: dict[str, Any], producer: str) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.UUID(int=random.getrandbits(128), version=4)),
            "type": kind,
            "version": 1,
            "occurred_at": at.isoformat(),
            "producer": producer,
            "lead_id": lead,
            "correlation_id": lead,
            "data": data,
        },
        separators=(",", ":"),
    ).encode()


def _touch(at: datetime) -> dict[str, Any]:
    source = random.choice(list(SOURCES))
    medium, channel = SOURCES[source]
    return {
        "id": uuid.UUID(int=random.getrandbits(128), version=4).hex,
        "occurred_at": at.isoformat(),
        "channel": channel,
        "source": source,
        "medium": medium,
        "campaign": random.choice(CAMPAIGNS),
        "content": random.choice(CONTENTS),
    }


def lead_events() -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of one lead's year."""
    lead = str(uuid.UUID(int=random.getrandbits(128), version=4))
    key = lead.encode()
    captured = YEAR_START + timedelta(seconds=random.randrange(365 * 86400))
    later = (captured + timedelta(hours=random.uniform(1, 24 * 45)) for _ in range(random.choice(range(5))))
    touches = [captured, *sorted(later)]
    events = []
    for index, at in enumerate(touches):
        data = {
            "is_new": index == 0,
            "person": {},  # a history twin carries no personal data
            "touch": _touch(at),
        }
        events.append(("lead.captured.history", key, _envelope("lead.captured", lead, at, data, "capture")))
    if random.random() > 0.3:
        return events
    qualified_at = touches[-1] + timedelta(minutes=random.uniform(1, 30))
    team, owner = random.choice(TEAMS), random.choice(REPS)
    assignment = {
        "owner": owner,
        "reason": "bench",
        "rule": "bench",
        "score": random.randrange(40, 101),
        "grade": random.choice("ABCD"),
        "assignment": 1,
        "team": team,
    }
    events.append(
        ("lead.qualified", key, _envelope("lead.qualified", lead, qualified_at, assignment, "routing"))
    )
    at = qualified_at
    for stage in ("accepted", "sql", "opportunity", "won"):
        at += timedelta(hours=random.uniform(1, 24 * 10))
        if random.random() < (0.15 if stage == "accepted" else 0.45):
            closing = {"stage": "rejected", "reason": random.choice(REJECTED)} if stage == "accepted" else {
                "stage": "lost", "reason": random.choice(LOST)}  # fmt: skip
            events.append(
                (
                    "lead.progressed",
                    key,
                    _envelope("lead.progressed", lead, at, {**closing, "owner": owner}, "sla-monitor"),
                )
            )
            break
        step: dict[str, Any] = {"stage": stage, "owner": owner}
        if stage == "won":
            step |= {"amount": f"{random.randrange(1000, 50000)}.00", "currency": "EUR"}
        events.append(("lead.progressed", key, _envelope("lead.progressed", lead, at, step, "sla-monitor")))
    return events


def day_lead_events(day_start: datetime, until: datetime) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of one lead captured on a busy day, before `until`: its first touch, a
    second one for some, and a qualification for some, all that day."""
    lead = str(uuid.UUID(int=random.getrandbits(128), version=4))
    key = lead.encode()
    span = max((until - day_start).total_seconds(), 1.0)
    captured = day_start + timedelta(seconds=random.uniform(0, span))
    touches = [captured]
    if random.random() < 0.3:
        touches.append(min(until, captured + timedelta(minutes=random.uniform(1, 120))))
    events = [
        (
            "lead.captured.history",
            key,
            _envelope(
                "lead.captured", lead, at, {"is_new": i == 0, "person": {}, "touch": _touch(at)}, "capture"
            ),
        )
        for i, at in enumerate(touches)
    ]
    if random.random() < 0.4:
        at = min(until, touches[-1] + timedelta(seconds=random.uniform(1, 60)))
        assignment = {
            "owner": random.choice(REPS),
            "reason": "bench",
            "rule": "bench",
            "score": random.randrange(60, 101),
            "grade": random.choice("AB"),
            "assignment": 1,
            "team": random.choice(TEAMS),
        }
        events.append(("lead.qualified", key, _envelope("lead.qualified", lead, at, assignment, "routing")))
    return events


async def produce(
    bootstrap: str,
    prefix: str,
    leads: int,
    events_of: Callable[[], list[tuple[str, bytes, bytes]]] = lead_events,
) -> dict[str, Any]:
    random.seed(20261124)
    sample = events_of() + events_of() + events_of()
    for _, _, value in sample:
        parse_event(value)  # the shapes are schemas/'s, or this fails before anything is sent
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024, acks=1)
    await producer.start()
    started = time.perf_counter()
    sent = 0
    try:
        pending = []
        for _ in range(leads):
            for topic, key, value in events_of():
                pending.append(await producer.send(prefix + topic, value, key=key))
                sent += 1
            if len(pending) > 50_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    seconds = time.perf_counter() - started
    return {
        "leads": leads,
        "events": sent,
        "seconds": round(seconds, 1),
        "events_per_second": round(sent / seconds),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(asyncio.run(produce("127.0.0.1:9092", "bench.", count))))  # noqa: T201
