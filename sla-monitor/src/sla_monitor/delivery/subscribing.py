"""Managing subscriptions, the use cases the API and `leadloop subscriptions` share: create (the
URL checked against the delivery rules, the secret sealed and shown once), rotate a secret with a
grace period, send a test event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from leadkit.db import Connection
from sla_monitor.delivery.db import reps, subscriptions
from sla_monitor.delivery.db.deliveries import DueDelivery
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain.sealing import Sealer
from sla_monitor.delivery.domain.signing import new_secret
from sla_monitor.delivery.domain.subscriptions import Kind, Subscription, normalized_filters
from sla_monitor.delivery.sending import Result, Sending, body_of, open_keys


@dataclass(frozen=True)
class NewSubscription:
    kind: Kind
    url: str
    event_types: list[str]
    filters: Mapping[str, object]
    description: str
    credentials: Mapping[str, str] = field(default_factory=dict)  # sealed when stored
    owner_map: Mapping[str, str] = field(default_factory=dict)


class UnknownReps(ValueError):
    """An owner map names reps routing's roster does not have (never announced, or removed)."""

    def __init__(self, rep_ids: list[str]) -> None:
        super().__init__(", ".join(rep_ids))
        self.rep_ids = rep_ids

    def problems(self) -> list[tuple[tuple[str, ...], str]]:
        return [
            (("owner_map", rep_id), f"unknown rep {rep_id!r}: routing's roster has no such rep")
            for rep_id in self.rep_ids
        ]


def masked(url: str) -> str:
    """A URL that is itself a secret (Slack's), as lists show it: scheme and host only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"


async def create_subscription(
    conn: Connection, sending: Sending, new: NewSubscription, now: datetime
) -> tuple[StoredSubscription, str]:
    """The stored subscription and its signing secret (shown this once). UnknownReps when its
    owner map names a rep the roster lacks; RefusedTarget when the URL, or an address its host
    resolves to now, may not receive deliveries."""
    unknown = await reps.unknown_reps(conn, list(new.owner_map))
    if unknown:
        raise UnknownReps(unknown)
    await sending.sender.check(new.url)
    subscription_id = uuid4()
    secret = new_secret()
    credentials = dict(new.credentials)
    shown_url = new.url
    if new.kind == "slack":
        credentials["webhook_url"] = new.url
        shown_url = masked(new.url)
    sealer, bound = sending.sealer, str(subscription_id)
    subscription = Subscription(
        id=subscription_id,
        kind=new.kind,
        url=shown_url,
        event_types=frozenset(new.event_types),
        filters=normalized_filters(new.filters),
        description=new.description,
    )
    await subscriptions.insert_subscription(
        conn,
        subscription,
        secret_sealed=sealer.seal(secret, bound_to=bound),
        credentials_sealed=sealer.seal(json.dumps(credentials), bound_to=bound) if credentials else None,
        settings={"owner_map": dict(new.owner_map)} if new.owner_map else {},
        now=now,
    )
    stored = await subscriptions.subscription(conn, subscription_id)
    assert stored is not None  # just written
    return stored, secret


async def rotate(
    conn: Connection, sealer: Sealer, subscription_id: UUID, *, grace: timedelta, now: datetime
) -> str | None:
    """A new secret; the old one signs beside it until `now + grace`. None: no such subscription."""
    secret = new_secret()
    sealed = sealer.seal(secret, bound_to=str(subscription_id))
    rotated = await subscriptions.rotate_secret(conn, subscription_id, sealed, old_until=now + grace, now=now)
    return secret if rotated else None


async def send_test(conn: Connection, sending: Sending, stored: StoredSubscription, now: datetime) -> Result:
    """A `leadloop.test` event, signed and sent now like any delivery (not recorded as one)."""
    keys = await open_keys(conn, sending.sealer, stored.subscription.id, now)
    assert keys is not None
    event_id = uuid4()
    test = DueDelivery(
        id=0,
        lead_id=stored.subscription.id,
        event_id=event_id,
        event_type="leadloop.test",
        occurred_at=now,
        body=body_of(
            {
                "type": "leadloop.test",
                "timestamp": now.isoformat(),
                "data": {"subscription_id": str(stored.subscription.id), "message": "a test from leadloop"},
            }
        ),
        attempts=0,
    )
    return await sending.send(stored, test, now, keys)
