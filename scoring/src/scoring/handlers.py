"""scoring's use cases: fold captures into each lead's facts, rescore, emit when it changed.

Set-based: a poll's captures are folded in memory, in order, lead by lead; the profiles are read
in one statement and written in one, the score records in one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from lead_schemas import LeadCaptured, LeadErased, LeadScored, LeadScoredData, RuleHit
from leadkit.consumer import HandlerContext
from leadkit.policies import PolicyStore
from scoring.domain.facts import Facts, fold_captured
from scoring.domain.model import RuleModel
from scoring.domain.rules import score

PRODUCER = "scoring"

_LOAD_PROFILES = """
SELECT lead_id, facts::text AS facts, score, grade FROM lead_profiles
WHERE lead_id = ANY($1::uuid[]) ORDER BY lead_id FOR UPDATE
"""
_SAVE_PROFILES = """
INSERT INTO lead_profiles (lead_id, facts, score, grade, model_version, updated_at)
SELECT lead_id, facts::jsonb, score, grade, model_version, updated_at
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamptz[])
    AS u(lead_id, facts, score, grade, model_version, updated_at)
ON CONFLICT (lead_id) DO UPDATE SET
    facts = excluded.facts, score = excluded.score, grade = excluded.grade,
    model_version = excluded.model_version, updated_at = excluded.updated_at
"""
_RECORD_SCORES = """
INSERT INTO scores (lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
                    model_version, reasons, scored_at)
SELECT lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
       model_version, reasons::jsonb, scored_at
FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::int[], $7::int[],
            $8::text[], $9::text[], $10::timestamptz[])
    AS u(lead_id, event_id, cause_event_id, score, grade, fit_score, engagement_score,
         model_version, reasons, scored_at)
"""
_FORGET_FACTS = """
UPDATE lead_profiles SET facts = '{"erased": true}'::jsonb, updated_at = $2 WHERE lead_id = ANY($1::uuid[])
"""


@dataclass
class _Profile:
    facts: Facts
    score: int | None = None
    grade: str | None = None
    model_version: str = ""


async def score_captured_leads(
    events: Sequence[LeadCaptured], ctx: HandlerContext, *, models: PolicyStore[RuleModel]
) -> None:
    conn = ctx.connection
    # the version active now, read once a poll: every instance follows an activation at its next poll
    version, model = await models.active(conn)
    model_version = str(version)
    lead_ids = sorted({event.lead_id for event in events})
    profiles: dict[UUID, _Profile] = {
        row["lead_id"]: _Profile(json.loads(row["facts"]), row["score"], row["grade"])
        for row in await conn.fetch(_LOAD_PROFILES, lead_ids)
    }
    scored: list[LeadScored] = []
    for event in events:  # in order: a lead's second capture folds onto its first
        profile = profiles.setdefault(event.lead_id, _Profile(facts={}))
        facts = fold_captured(profile.facts, event.data)
        result = score(facts, model, version=model_version)
        previous = (profile.score, profile.grade) if profile.score is not None else None
        profile.facts, profile.score, profile.grade = facts, result.score, result.grade
        profile.model_version = result.model_version
        if previous == (result.score, result.grade):
            continue  # lead.scored means the score or grade changed
        reasons = [
            RuleHit(rule_id=rule.id, kind=rule.kind, description=rule.description, points=rule.points)
            for rule in result.fired
        ]
        scored.append(
            event.caused(
                LeadScored,
                producer=PRODUCER,
                occurred_at=ctx.now,
                data=LeadScoredData(
                    score=result.score,
                    grade=result.grade,
                    fit_score=result.fit,
                    engagement_score=result.engagement,
                    model_version=result.model_version,
                    reasons=reasons,
                    previous_score=previous[0] if previous else None,
                    previous_grade=previous[1] if previous else None,
                ),
            )
        )
    saved = [profiles[lead_id] for lead_id in lead_ids]  # every lead of the poll has one by now
    await conn.execute(
        _SAVE_PROFILES,
        lead_ids,
        [json.dumps(profile.facts) for profile in saved],
        [profile.score for profile in saved],
        [profile.grade for profile in saved],
        [profile.model_version for profile in saved],
        [ctx.now] * len(saved),
    )
    if scored:
        await _record_scores(ctx, scored)
        ctx.outbox.add(*scored)


async def _record_scores(ctx: HandlerContext, scored: list[LeadScored]) -> None:
    """Why each lead has its score: one row per emitted lead.scored."""
    await ctx.connection.execute(
        _RECORD_SCORES,
        [event.lead_id for event in scored],
        [event.id for event in scored],
        [event.causation_id for event in scored],
        [event.data.score for event in scored],
        [event.data.grade for event in scored],
        [event.data.fit_score for event in scored],
        [event.data.engagement_score for event in scored],
        [event.data.model_version for event in scored],
        [json.dumps([hit.model_dump() for hit in event.data.reasons]) for event in scored],
        [ctx.now] * len(scored),
    )


async def forget_lead_facts(events: Sequence[LeadErased], ctx: HandlerContext) -> None:
    """The people asked to be forgotten: drop what scoring knew of them, keep the bare score."""
    await ctx.connection.execute(_FORGET_FACTS, sorted({event.lead_id for event in events}), ctx.now)
