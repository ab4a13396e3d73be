"""The CRM adapters' conversations: the requests of domain/hubspot.py and domain/salesforce.py
sent through the safe sender (every address checked), their answers read, the record a CRM gave
kept. A failed step answers for the whole delivery, which is tried again from the start (each
step is an upsert or an update, so a repeat changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from sla_monitor.delivery.db.crm_records import CrmRecord
from sla_monitor.delivery.domain import hubspot, salesforce
from sla_monitor.delivery.domain.outcomes import Answer
from sla_monitor.delivery.sender import SafeSender, Sent


@dataclass(frozen=True)
class AdapterResult:
    answer: Answer
    latency_ms: int
    record: CrmRecord | None = None


def _json(sent: Sent) -> Any:
    try:
        return json.loads(sent.body)
    except ValueError:
        return {}


def _ok(sent: Sent) -> bool:
    return sent.answer.status is not None and 200 <= sent.answer.status < 300


@dataclass
class Adapters:
    sender: SafeSender
    _salesforce_tokens: dict[UUID, tuple[str, str]] = field(default_factory=dict)

    async def hubspot(
        self,
        url: str,
        token: str,
        owner_map: Mapping[str, str],
        payload: dict[str, Any],
        record: CrmRecord | None,
        now: datetime,
    ) -> AdapterResult:
        base = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        upsert = hubspot.contact_upsert(payload, owner_map)
        if upsert is None:
            return AdapterResult(
                Answer(None, "the lead has no email to find its HubSpot contact by", permanent=True), 0
            )
        spent = 0
        sent = await self.sender.send(
            "POST",
            f"{base}/crm/v3/objects/contacts/batch/upsert",
            body=_body(upsert),
            headers=headers,
            now=now,
        )
        spent += sent.latency_ms
        if not _ok(sent):
            return AdapterResult(_refused(sent, hubspot.error_message(_json(sent))), spent)
        contact_id = hubspot.upserted_id(_json(sent))
        if contact_id is None:
            return AdapterResult(Answer(None, "HubSpot's upsert answered no contact id"), spent)
        if record is not None and record.related_id is not None:
            sent = await self.sender.send(
                "PATCH",
                f"{base}/crm/v3/objects/leads/{record.related_id}",
                body=_body(hubspot.lead_update(payload, owner_map)),
                headers=headers,
                now=now,
            )
            lead_id: str | None = record.related_id
        else:
            sent = await self.sender.send(
                "POST",
                f"{base}/crm/v3/objects/leads",
                body=_body(hubspot.lead_create(payload, contact_id, owner_map)),
                headers=headers,
                now=now,
            )
            lead_id = str(_json(sent).get("id")) if _ok(sent) else None
        spent += sent.latency_ms
        if not _ok(sent):
            # the contact exists now: the retry upserts it again and makes the lead
            return AdapterResult(
                _refused(sent, hubspot.error_message(_json(sent))), spent, CrmRecord(contact_id)
            )
        return AdapterResult(sent.answer, spent, CrmRecord(contact_id, lead_id))

    async def salesforce(
        self,
        subscription_id: UUID,
        url: str,
        credentials: Mapping[str, str],
        owner_map: Mapping[str, str],
        payload: dict[str, Any],
        record: CrmRecord | None,
        now: datetime,
    ) -> AdapterResult:
        spent = 0
        for fresh in (False, True):
            token = None if fresh else self._salesforce_tokens.get(subscription_id)
            if token is None:
                got = await self._salesforce_token(subscription_id, url, credentials, now)
                spent += got[1]
                if isinstance(got[0], Answer):
                    return AdapterResult(got[0], spent)
                token = got[0]
            access, instance = token
            fields = salesforce.lead_fields(payload, owner_map)
            method, path = (
                ("PATCH", salesforce.lead_path(record.record_id))
                if record
                else ("POST", salesforce.lead_path())
            )
            sent = await self.sender.send(
                method,
                f"{instance.rstrip('/')}{path}",
                body=_body(fields),
                headers=salesforce.headers(access),
                now=now,
            )
            spent += sent.latency_ms
            if sent.answer.status == 401 and not fresh:
                self._salesforce_tokens.pop(subscription_id, None)
                continue  # the token expired: once more with a new one
            if sent.answer.status == 400:
                refused = _json(sent)
                errors = refused if isinstance(refused, list) else []
                return AdapterResult(Answer(400, salesforce.refusal(errors), permanent=True), spent)
            if not _ok(sent):
                return AdapterResult(_refused(sent, "Salesforce refused the request"), spent)
            record_id = record.record_id if record else str(_json(sent).get("id"))
            return AdapterResult(sent.answer, spent, CrmRecord(record_id))
        return AdapterResult(Answer(401, "Salesforce refused a new token too"), spent)

    async def _salesforce_token(
        self, subscription_id: UUID, url: str, credentials: Mapping[str, str], now: datetime
    ) -> tuple[tuple[str, str] | Answer, int]:
        form = salesforce.token_form(credentials["client_id"], credentials["client_secret"])
        sent = await self.sender.send(
            "POST",
            f"{url.rstrip('/')}/services/oauth2/token",
            body=urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            now=now,
        )
        answer = _json(sent)
        if not _ok(sent) or not isinstance(answer, dict) or "access_token" not in answer:
            why = answer.get("error_description") if isinstance(answer, dict) else None
            return _refused(sent, f"Salesforce gave no token: {why or 'no access_token'}"), sent.latency_ms
        # the instance URL it answers must pass the same checks before anything is sent there
        token = (str(answer["access_token"]), str(answer.get("instance_url") or url))
        self._salesforce_tokens[subscription_id] = token
        return token, sent.latency_ms


def _body(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _refused(sent: Sent, why: str) -> Answer:
    status = sent.answer.status
    if status is None:
        return sent.answer
    return Answer(status, f"{why} ({status})", sent.answer.retry_after)
