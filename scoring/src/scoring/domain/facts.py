"""What scoring knows of a lead: folded from lead.captured events, one at a time."""

from __future__ import annotations

import re
from typing import Any

from lead_schemas import LeadCapturedData, LeadProfile
from scoring.domain.touches import Touch

Facts = dict[str, Any]

_LEADING_NUMBER = re.compile(r"(\d[\d,.]*)")


def employees_lower_bound(company_size: str | None) -> int | None:
    """'51-200' → 51, '1000+' → 1000, '1,001-5,000' → 1001; None when it has no number."""
    if not company_size:
        return None
    match = _LEADING_NUMBER.search(company_size)
    if match is None:
        return None
    return int(re.sub(r"[,.]", "", match.group(1)))


def fold_captured(facts: Facts, captured: LeadCapturedData) -> Facts:
    """The facts after one more capture: person fields newest-wins, touches accumulated."""
    person = captured.person
    touch = captured.touch
    folded = dict(facts)
    for name in ("job_title", "company_size", "industry", "country", "company"):
        value = getattr(person, name)
        if value:
            folded[name] = value
    if person.email:
        folded["email_domain"] = person.email.rsplit("@", 1)[-1]
        # capture fills company_domain from work emails only, so its absence marks free mail
        folded["free_email"] = person.company_domain is None
    for name, value in person.attributes.items():
        folded[f"attributes.{name}"] = value
    folded["has_phone"] = bool(person.phone) or bool(facts.get("has_phone"))
    folded["employees"] = employees_lower_bound(folded.get("company_size"))
    folded["touch_count"] = int(facts.get("touch_count", 0)) + 1
    forms = set(facts.get("forms", []))
    if touch.form_id:
        forms.add(touch.form_id)
    folded["forms"] = sorted(forms)
    mediums = set(facts.get("mediums", []))
    if touch.medium:
        mediums.add(touch.medium.lower())
    folded["mediums"] = sorted(mediums)
    folded["paid_click"] = bool(touch.gclid or touch.fbclid) or bool(facts.get("paid_click"))
    return folded


def lead_profile(facts: Facts, latest: Touch | None) -> LeadProfile:
    """What routing's rules test, from the facts and the lead's latest touch."""
    attributes = {
        name.removeprefix("attributes."): value
        for name, value in facts.items()
        if name.startswith("attributes.")
    }
    language = attributes.get("language")
    return LeadProfile(
        company=facts.get("company"),
        company_domain=None if facts.get("free_email", True) else facts.get("email_domain"),
        country=facts.get("country"),
        company_size=facts.get("company_size"),
        industry=facts.get("industry"),
        job_title=facts.get("job_title"),
        language=language.lower() if isinstance(language, str) else None,
        attributes=attributes,
        source=latest.source if latest else None,
        medium=latest.medium if latest else None,
        campaign=latest.campaign if latest else None,
        channel=latest.channel if latest else None,
        content=latest.content if latest else None,
        form_id=latest.form_id if latest else None,
    )
