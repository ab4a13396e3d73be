"""When a failed delivery is tried again: the Standard Webhooks retry schedule (immediately,
then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the failure before), each delay
moved by up to ±20 % so a thousand deliveries that failed together do not come back together;
a `Retry-After` the endpoint sent is honoured instead. After the last it is parked. Pure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
JITTER = 0.2
LONGEST_RETRY_AFTER = timedelta(hours=24)


def next_attempt(
    attempts: int, now: datetime, *, retry_after: timedelta | None = None, rng: random.Random | None = None
) -> datetime | None:
    """After `attempts` tries (the first counts as one), when to try again; None: give up."""
    if attempts >= len(SCHEDULE):
        return None
    if retry_after is not None:
        return now + min(max(retry_after, timedelta(0)), LONGEST_RETRY_AFTER)
    delay = SCHEDULE[attempts]
    share = (rng or random).uniform(1 - JITTER, 1 + JITTER)
    return now + delay * share


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """`Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3); None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))
