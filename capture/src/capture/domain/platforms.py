"""Ad platforms' lead formats → the flat fields every capture path uses. Pure.

Google Ads lead form webhooks carry the answers; Meta and LinkedIn notifications carry only ids,
and the answers come from their APIs (fetched by `capture.workers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# column_id / field name → leadloop field. Anything else is kept as a custom attribute.
GOOGLE_COLUMNS = {
    "FULL_NAME": "full_name",
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE": "phone",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "job_title",
    "COUNTRY": "country",
    "COMPANY_SIZE": "company_size",
    "INDUSTRY": "industry",
}
META_FIELDS = {
    "email": "email",
    "work_email": "email",
    "phone_number": "phone",
    "work_phone_number": "phone",
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "company_name": "company",
    "job_title": "job_title",
    "country": "country",
    "company_size": "company_size",
    "industry": "industry",
}
LINKEDIN_FIELDS = {
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE_NUMBER": "phone",
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "job_title",
    "COUNTRY": "country",
    "COMPANY_SIZE": "company_size",
    "INDUSTRY": "industry",
}


@dataclass(frozen=True)
class PlatformLeadData:
    fields: dict[str, Any]
    attributes: dict[str, Any]
    is_test: bool = False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "answer"


def _split_full_name(fields: dict[str, Any]) -> None:
    full = fields.pop("full_name", None)
    if full and not fields.get("first_name") and not fields.get("last_name"):
        first, _, last = str(full).strip().partition(" ")
        fields["first_name"], fields["last_name"] = first, last or None


def _id(value: Any) -> str | None:
    # ids arrive as strings or as JSON numbers wider than 2**53; Python's json keeps them exact
    return None if value is None else str(value)


# --- Google Ads lead form webhook -------------------------------------------------------------


def google_lead(payload: dict[str, Any]) -> PlatformLeadData:
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column in payload.get("user_column_data") or []:
        column_id = str(column.get("column_id") or "")
        value = column.get("string_value")
        if value is None:
            continue
        target = GOOGLE_COLUMNS.get(column_id)
        if target and not fields.get(target):
            fields[target] = value
        elif not target:
            attributes[_slug(column.get("column_name") or column_id)] = value
    _split_full_name(fields)
    fields |= {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": _id(payload.get("campaign_id")),
        "utm_content": _id(payload.get("creative_id")),
        "gclid": payload.get("gcl_id"),
        "form_id": f"google:{payload['form_id']}" if payload.get("form_id") is not None else None,
    }
    for name in ("adgroup_id", "asset_group_id"):
        if payload.get(name) is not None:
            attributes[f"google_{name}"] = _id(payload[name])
    return PlatformLeadData(fields=fields, attributes=attributes, is_test=bool(payload.get("is_test")))


# --- Meta Lead Ads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetaLeadNotice:
    leadgen_id: str
    form_id: str | None
    page_id: str | None
    ad_id: str | None
    created_time: datetime | None


def meta_notices(payload: dict[str, Any]) -> list[MetaLeadNotice]:
    """Every leadgen change in a notification (several entries, several changes each)."""
    notices = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") != "leadgen" or value.get("leadgen_id") is None:
                continue
            created = value.get("created_time")
            notices.append(
                MetaLeadNotice(
                    leadgen_id=str(value["leadgen_id"]),
                    form_id=_id(value.get("form_id")),
                    page_id=_id(value.get("page_id") or entry.get("id")),
                    ad_id=_id(value.get("ad_id")),
                    created_time=datetime.fromtimestamp(int(created), UTC) if created is not None else None,
                )
            )
    return notices


def meta_lead(lead: dict[str, Any]) -> PlatformLeadData:
    """A lead as the Graph API returns it: field_data [{name, values}] and ad context."""
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for item in lead.get("field_data") or []:
        name, values = str(item.get("name") or ""), item.get("values") or []
        value = values[0] if len(values) == 1 else (", ".join(map(str, values)) if values else None)
        if value is None:
            continue
        target = META_FIELDS.get(name)
        if target and not fields.get(target):
            fields[target] = value
        elif not target:
            attributes[_slug(name)] = value
    _split_full_name(fields)
    instagram = lead.get("platform") == "ig"
    fields |= {
        "utm_source": "instagram" if instagram else "facebook",
        "utm_medium": "social" if lead.get("is_organic") else "paid_social",
        "utm_campaign": lead.get("campaign_name") or _id(lead.get("campaign_id")),
        "utm_content": lead.get("ad_name") or _id(lead.get("ad_id")),
        "form_id": f"meta:{lead['form_id']}" if lead.get("form_id") is not None else None,
    }
    created = lead.get("created_time")
    if created:
        fields["occurred_at"] = datetime.strptime(str(created), "%Y-%m-%dT%H:%M:%S%z")
    return PlatformLeadData(fields=fields, attributes=attributes)


# --- LinkedIn Lead Sync -----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedInNotice:
    response_id: str
    action: str  # CREATED | DELETED
    form: str | None
    lead_type: str | None


def linkedin_notice(payload: dict[str, Any]) -> LinkedInNotice | None:
    response_id = payload.get("leadGenFormResponse")
    if not response_id:
        return None
    return LinkedInNotice(
        response_id=str(response_id),
        action=str(payload.get("leadAction") or "CREATED").upper(),
        form=payload.get("leadGenForm"),
        lead_type=payload.get("leadType"),
    )


def linkedin_form_id(urn: str | None) -> str | None:
    """urn:li:leadGenForm:123 or urn:li:versionedLeadGenForm:(urn:li:leadGenForm:123,1) → '123'."""
    if not urn:
        return None
    match = re.search(r"leadGenForm:(\d+)", urn)
    return match.group(1) if match else None


def linkedin_lead(response: dict[str, Any], form: dict[str, Any]) -> PlatformLeadData:
    """A leadFormResponses item, its answers named through the form's questions."""
    questions = {
        q.get("questionId"): q
        for q in ((form.get("content") or {}).get("questions") or [])
        if isinstance(q, dict)
    }
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    form_response = response.get("formResponse") or {}
    for answer in form_response.get("answers") or []:
        details = answer.get("answerDetails") or {}
        text = (details.get("textQuestionAnswer") or {}).get("answer")
        if text is None:
            choice = details.get("multipleChoiceAnswer") or {}
            text = ", ".join(map(str, choice.get("options") or [])) or None
        if text is None:
            continue
        question = questions.get(answer.get("questionId"), {})
        target = LINKEDIN_FIELDS.get(str(question.get("predefinedField") or ""))
        if target and not fields.get(target):
            fields[target] = text
        elif not target:
            attributes[_slug(str(question.get("name") or f"question_{answer.get('questionId')}"))] = text
    consents = form_response.get("consentResponses") or []
    if consents:
        fields["consent"] = any(bool(c.get("accepted")) for c in consents)
    campaign = ((response.get("leadMetadata") or {}).get("sponsoredLeadMetadata") or {}).get("campaign")
    sponsored = (response.get("leadType") or "SPONSORED") == "SPONSORED"
    fields |= {
        "utm_source": "linkedin",
        "utm_medium": "paid_social" if sponsored else "social",
        "utm_campaign": campaign,
        "form_id": f"linkedin:{linkedin_form_id(response.get('versionedLeadGenFormUrn'))}",
    }
    submitted = response.get("submittedAt")
    if submitted is not None:
        fields["occurred_at"] = datetime.fromtimestamp(int(submitted) / 1000, UTC)
    return PlatformLeadData(fields=fields, attributes=attributes, is_test=bool(response.get("testLead")))
