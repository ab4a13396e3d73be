"""The `subscriptions` table: saved, listed, paused, resumed, rotated, disabled, deleted; and the
lease an instance holds on one while it sends its deliveries (two instances never send one
subscription's deliveries at once, so a delivery is never sent twice at once)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from uuid import UUID

from asyncpg import Record

from leadkit.db import Connection
from sla_monitor.delivery.domain.subscriptions import Kind, Subscription

_COLUMNS = """
id, kind, url, event_types, filters::text AS filters, description, paused, disabled_at, disabled_reason,
failing_since, created_at, updated_at, settings::text AS settings
"""
_INSERT = """
INSERT INTO subscriptions (id, kind, url, event_types, filters, description, secret_sealed,
                           credentials_sealed, settings, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $10)
"""
_ONE = f"SELECT {_COLUMNS} FROM subscriptions WHERE id = $1"
_ALL = f"SELECT {_COLUMNS} FROM subscriptions ORDER BY created_at, id"
_SET_PAUSED = "UPDATE subscriptions SET paused = $2, updated_at = $3 WHERE id = $1 RETURNING id"
_RESUME = """
UPDATE subscriptions SET paused = false, disabled_at = NULL, disabled_reason = NULL, failing_since = NULL,
    updated_at = $2
WHERE id = $1 RETURNING id
"""
_DELETE = "DELETE FROM subscriptions WHERE id = $1 RETURNING id"
_WAKE = "SELECT pg_notify('leadloop_deliveries', '')"
_ROTATE = """
UPDATE subscriptions SET previous_secret_sealed = secret_sealed, previous_secret_until = $3,
    secret_sealed = $2, updated_at = $4
WHERE id = $1 RETURNING id
"""
_SECRETS = """
SELECT secret_sealed, CASE WHEN previous_secret_until > $2 THEN previous_secret_sealed END AS previous,
       credentials_sealed
FROM subscriptions WHERE id = $1
"""
_DISABLE = """
UPDATE subscriptions SET disabled_at = $2, disabled_reason = $3, updated_at = $2
WHERE id = $1 AND disabled_at IS NULL
"""
_FAILING = "UPDATE subscriptions SET failing_since = coalesce(failing_since, $2) WHERE id = $1"
_SUCCEEDED = "UPDATE subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL"
# subscriptions with due work, not held by another instance (or whose lease ran out), the longest
# waiting first
_LEASE = """
UPDATE subscriptions SET leased_until = $2
WHERE id IN (
    SELECT s.id FROM subscriptions s
    WHERE NOT s.paused AND s.disabled_at IS NULL AND (s.leased_until IS NULL OR s.leased_until <= $1)
      AND s.id <> ALL($3::uuid[]) AND ($4::uuid[] IS NULL OR s.id = ANY($4::uuid[]))
      AND EXISTS (SELECT 1 FROM deliveries d
                  WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= $1)
    ORDER BY (SELECT min(d.next_attempt_at) FROM deliveries d
              WHERE d.subscription_id = s.id AND d.status = 'pending')
    LIMIT $5 FOR UPDATE SKIP LOCKED
)
RETURNING id
"""
_RENEW = "UPDATE subscriptions SET leased_until = $2 WHERE id = $1 RETURNING id"
_RELEASE = "UPDATE subscriptions SET leased_until = NULL WHERE id = $1"
_WANTING = f"""
SELECT {_COLUMNS} FROM subscriptions
WHERE disabled_at IS NULL AND event_types && $1::text[]
"""


@dataclass(frozen=True)
class StoredSubscription:
    subscription: Subscription
    settings: Mapping[str, Any]
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SealedSecrets:
    """The sealed secrets that sign now (the current, and the previous during its grace), and an
    adapter's sealed credentials."""

    current: bytes
    previous: bytes | None
    credentials: bytes | None


def _stored(row: Record) -> StoredSubscription:
    filters = {key: tuple(values) for key, values in json.loads(row["filters"]).items()}
    subscription = Subscription(
        id=row["id"],
        kind=cast(Kind, row["kind"]),
        url=row["url"],
        event_types=frozenset(row["event_types"]),
        filters=filters,
        description=row["description"],
        paused=row["paused"],
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
    )
    return StoredSubscription(
        subscription, json.loads(row["settings"]), row["failing_since"], row["created_at"], row["updated_at"]
    )


async def insert_subscription(
    conn: Connection,
    subscription: Subscription,
    *,
    secret_sealed: bytes,
    credentials_sealed: bytes | None,
    settings: Mapping[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        _INSERT,
        subscription.id,
        subscription.kind,
        subscription.url,
        sorted(subscription.event_types),
        json.dumps({key: list(values) for key, values in subscription.filters.items()}),
        subscription.description,
        secret_sealed,
        credentials_sealed,
        json.dumps(settings),
        now,
    )


async def subscription(conn: Connection, subscription_id: UUID) -> StoredSubscription | None:
    row = await conn.fetchrow(_ONE, subscription_id)
    return None if row is None else _stored(row)


async def all_subscriptions(conn: Connection) -> list[StoredSubscription]:
    return [_stored(row) for row in await conn.fetch(_ALL)]


async def wanting(conn: Connection, event_types: list[str]) -> list[StoredSubscription]:
    """The subscriptions (paused ones too: their events are kept) that take any of these types."""
    return [_stored(row) for row in await conn.fetch(_WANTING, event_types)]


async def set_paused(conn: Connection, subscription_id: UUID, paused: bool, now: datetime) -> bool:
    if paused:
        return await conn.fetchval(_SET_PAUSED, subscription_id, True, now) is not None
    resumed = await conn.fetchval(_RESUME, subscription_id, now) is not None
    if resumed:
        await conn.execute(_WAKE)  # its kept deliveries are due
    return resumed


async def delete_subscription(conn: Connection, subscription_id: UUID) -> bool:
    return await conn.fetchval(_DELETE, subscription_id) is not None


async def rotate_secret(
    conn: Connection, subscription_id: UUID, sealed: bytes, *, old_until: datetime, now: datetime
) -> bool:
    return await conn.fetchval(_ROTATE, subscription_id, sealed, old_until, now) is not None


async def sealed_secrets(conn: Connection, subscription_id: UUID, now: datetime) -> SealedSecrets | None:
    row = await conn.fetchrow(_SECRETS, subscription_id, now)
    return (
        None
        if row is None
        else SealedSecrets(row["secret_sealed"], row["previous"], row["credentials_sealed"])
    )


async def disable(conn: Connection, subscription_id: UUID, reason: str, now: datetime) -> None:
    await conn.execute(_DISABLE, subscription_id, now, reason)


async def note_failure(conn: Connection, subscription_id: UUID, now: datetime) -> None:
    await conn.execute(_FAILING, subscription_id, now)


async def note_success(conn: Connection, subscription_id: UUID) -> None:
    await conn.execute(_SUCCEEDED, subscription_id)


async def lease(
    conn: Connection,
    now: datetime,
    lease: timedelta,
    *,
    limit: int,
    skip: list[UUID],
    only: list[UUID] | None = None,
) -> list[UUID]:
    """Up to `limit` subscriptions with due deliveries (of `only` these, when given), now this
    instance's until the lease runs out; one statement."""
    return [row["id"] for row in await conn.fetch(_LEASE, now, now + lease, skip, only, limit)]


async def renew_lease(conn: Connection, subscription_id: UUID, until: datetime) -> bool:
    """Hold the subscription (locking its row) until then; False when it was deleted."""
    return await conn.fetchval(_RENEW, subscription_id, until) is not None


async def release_lease(conn: Connection, subscription_id: UUID) -> None:
    await conn.execute(_RELEASE, subscription_id)
