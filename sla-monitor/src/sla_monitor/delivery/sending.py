"""How a delivery is sent, by the subscription's kind: a signed Standard Webhooks POST, a Slack
message, or a CRM adapter's requests. Opens the sealed secrets it needs for the one request."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from leadkit.db import Connection
from sla_monitor.delivery.adapters import Adapters
from sla_monitor.delivery.db import subscriptions
from sla_monitor.delivery.db.crm_records import CrmRecord
from sla_monitor.delivery.db.deliveries import DueDelivery
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain import hubspot, slack
from sla_monitor.delivery.domain.outcomes import Answer
from sla_monitor.delivery.domain.payloads import encoded
from sla_monitor.delivery.domain.sealing import Sealer
from sla_monitor.delivery.domain.signing import webhook_headers
from sla_monitor.delivery.domain.targets import TargetRules
from sla_monitor.delivery.sender import SafeSender
from sla_monitor.settings import SlaMonitorSettings

USER_AGENT = "leadloop-deliveries/1"
# a HubSpot delivery is two requests: paced so both stay within 100 per 10 seconds
PACED = {"slack": slack.SECONDS_BETWEEN_MESSAGES, "hubspot": 2 * hubspot.SECONDS_BETWEEN_REQUESTS}
CRM_KINDS = frozenset({"hubspot", "salesforce"})


@dataclass(frozen=True)
class Keys:
    """What one subscription's sends need, opened for one lease: the secrets that sign now
    (newest first; the previous one during its grace) and an adapter's credentials."""

    signing: list[str]
    credentials: dict[str, str]


@dataclass(frozen=True)
class Result:
    answer: Answer
    latency_ms: int
    external_id: str | None = None
    record: CrmRecord | None = None


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes sent and signed: compact JSON, UTF-8."""
    return encoded(payload).encode()


@dataclass
class Sending:
    sender: SafeSender
    sealer: Sealer
    adapters: Adapters = field(init=False)
    _last_sent: dict[UUID, float] = field(default_factory=dict)

    @classmethod
    def of(cls, settings: SlaMonitorSettings) -> Sending:
        rules = TargetRules.of(
            allow_http=settings.delivery_allow_http, allowed=settings.delivery_allowed_network_list()
        )
        return cls(SafeSender(rules), Sealer(settings.sealing_key()))

    def __post_init__(self) -> None:
        self.adapters = Adapters(self.sender)

    async def close(self) -> None:
        await self.sender.close()

    def paced(self, stored: StoredSubscription) -> bool:
        return stored.subscription.kind in PACED

    async def send(
        self,
        stored: StoredSubscription,
        delivery: DueDelivery,
        now: datetime,
        keys: Keys,
        record: CrmRecord | None = None,
    ) -> Result:
        subscription = stored.subscription
        await self._pace(stored)
        owner_map = stored.settings.get("owner_map") or {}
        if subscription.kind == "hubspot":
            done = await self.adapters.hubspot(
                subscription.url, keys.credentials["token"], owner_map, delivery.payload, record, now
            )
            return Result(done.answer, done.latency_ms, _id_of(done.record), done.record)
        if subscription.kind == "salesforce":
            done = await self.adapters.salesforce(
                subscription.id, subscription.url, keys.credentials, owner_map, delivery.payload, record, now
            )
            return Result(done.answer, done.latency_ms, _id_of(done.record), done.record)
        if subscription.kind == "slack":
            body = body_of(slack.message(delivery.payload))
            sent = await self.sender.send(
                "POST",
                keys.credentials["webhook_url"],
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                now=now,
            )
            return Result(sent.answer, sent.latency_ms)
        body = delivery.body
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **webhook_headers(keys.signing, message_id=str(delivery.event_id), at=now, body=body),
        }
        sent = await self.sender.send("POST", subscription.url, body=body, headers=headers, now=now)
        return Result(sent.answer, sent.latency_ms)

    async def _pace(self, stored: StoredSubscription) -> None:
        interval = PACED.get(stored.subscription.kind)
        if interval is None:
            return
        last = self._last_sent.get(stored.subscription.id)
        if last is not None:
            await asyncio.sleep(max(0.0, last + interval - time.monotonic()))
        self._last_sent[stored.subscription.id] = time.monotonic()


async def open_keys(conn: Connection, sealer: Sealer, subscription_id: UUID, now: datetime) -> Keys | None:
    sealed = await subscriptions.sealed_secrets(conn, subscription_id, now)
    if sealed is None:
        return None
    bound = str(subscription_id)
    signing = [sealer.open(sealed.current, bound_to=bound)]
    if sealed.previous is not None:
        signing.append(sealer.open(sealed.previous, bound_to=bound))
    credentials = json.loads(sealer.open(sealed.credentials, bound_to=bound)) if sealed.credentials else {}
    return Keys(signing, credentials)


def _id_of(record: CrmRecord | None) -> str | None:
    if record is None:
        return None
    return record.related_id or record.record_id
