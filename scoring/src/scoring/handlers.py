"""scoring's use cases: fold a capture into the lead's facts, rescore, emit when it changed."""

from __future__ import annotations

from sqlalchemy import select

from lead_schemas import LeadCaptured, LeadErased, LeadScored, LeadScoredData, RuleHit
from leadkit.consumer import HandlerContext
from scoring.db.tables import LeadProfile, ScoreRecord
from scoring.domain.facts import fold_captured
from scoring.domain.model import RuleModel
from scoring.domain.rules import score

PRODUCER = "scoring"


async def score_captured_lead(event: LeadCaptured, ctx: HandlerContext, *, model: RuleModel) -> None:
    profile = await ctx.session.scalar(
        select(LeadProfile).where(LeadProfile.lead_id == event.lead_id).with_for_update()
    )
    facts = fold_captured(profile.facts if profile else {}, event.data)
    result = score(facts, model)
    previous = (profile.score, profile.grade) if profile else None
    if profile is None:
        profile = LeadProfile(lead_id=event.lead_id)
        ctx.session.add(profile)
    profile.facts = facts
    profile.score = result.score
    profile.grade = result.grade
    profile.model_version = result.model_version
    profile.updated_at = ctx.now
    if previous == (result.score, result.grade):
        return  # lead.scored means the score or grade changed

    reasons = [
        RuleHit(rule_id=rule.id, kind=rule.kind, description=rule.description, points=rule.points)
        for rule in result.fired
    ]
    scored = event.caused(
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
    ctx.session.add(
        ScoreRecord(
            lead_id=event.lead_id,
            event_id=scored.id,
            cause_event_id=event.id,
            score=result.score,
            grade=result.grade,
            fit_score=result.fit,
            engagement_score=result.engagement,
            model_version=result.model_version,
            reasons=[hit.model_dump() for hit in reasons],
            scored_at=ctx.now,
        )
    )
    await ctx.outbox.add(scored)


async def forget_lead_facts(event: LeadErased, ctx: HandlerContext) -> None:
    """The person asked to be forgotten: drop what scoring knew of them, keep the bare score."""
    profile = await ctx.session.get(LeadProfile, event.lead_id, with_for_update=True)
    if profile is not None:
        profile.facts = {"erased": True}
        profile.updated_at = ctx.now
