"""What a routing decision leaves behind: the `lead.qualified` it announces and the assignment
record that answers "why this rep" later (rule, candidates, who was passed over and why, the
tie-break, what the rules tested). Pure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from lead_schemas import LeadQualifiedData, PassedOver
from routing.domain.decide import Decision
from routing.domain.lead import Lead
from routing.domain.policy import RoutingPolicy
from routing.domain.roster import Rep


def passed_over(decision: Decision) -> list[PassedOver]:
    return [PassedOver(rep_id=c.rep_id, why=c.detail) for c in decision.candidates if not c.eligible]


def qualified_data(
    lead: Lead,
    decision: Decision,
    *,
    owner: Rep | None,
    previous_owner: str | None,
    reason: str,
    policy: RoutingPolicy,
    version: int,
) -> LeadQualifiedData:
    """`lead.qualified`'s data for a decision just applied to `lead`."""
    profile = lead.profile
    return LeadQualifiedData(
        owner=decision.owner,
        owner_name=owner.name if owner else None,
        owner_email=owner.email if owner else None,
        reason=reason,
        rule=decision.rule,
        score=lead.score,
        grade=lead.grade,
        assignment=lead.assignments,
        previous_owner=previous_owner,
        passed_over=passed_over(decision),
        team=decision.team,
        policy_version=version,
        source=profile.source if profile else None,
        country=profile.country if profile else None,
        region=policy.region_of(profile.country) if profile else None,
    )


def assignment_record(
    lead: Lead,
    decision: Decision,
    *,
    previous_owner: str | None,
    reason: str,
    cause_id: UUID | None,
    event_id: UUID,
    at: datetime,
    kind: str,
    version: int,
    decision_us: int,
) -> tuple[Any, ...]:
    """The `assignments` row of a decision (db/leads.py writes it), JSON columns as text."""
    candidates = [
        {
            "rep_id": c.rep_id,
            "eligible": c.eligible,
            "why": c.why,
            "detail": c.detail,
            "credit_before": c.credit_before,
            "credited": c.credited,
        }
        for c in decision.candidates
    ]
    return (
        lead.lead_id,
        decision.owner,
        previous_owner,
        decision.rule,
        reason,
        json.dumps([p.model_dump() for p in passed_over(decision)]),
        cause_id,
        event_id,
        at,
        kind,
        decision.team,
        decision.method,
        version,
        json.dumps(candidates),
        decision.tie_break,
        json.dumps(list(decision.steps)),
        decision_us,
        json.dumps(lead.inputs()),
    )


def lead_row(lead: Lead, now: datetime) -> tuple[Any, ...]:
    """The `leads` row of a lead as a batch leaves it."""
    return (
        lead.lead_id,
        lead.score,
        lead.grade,
        lead.qualified,
        lead.qualification_reason,
        lead.owner,
        lead.assignments,
        lead.status,
        lead.team,
        lead.profile.model_dump_json() if lead.profile else None,
        lead.correlation_id,
        lead.queued_at,
        lead.closed_at,
        now,
    )
