"""scoring's use cases: fold captures into each lead's facts and touches, take sales' outcomes,
recycle, forget — then score every lead touched and emit `lead.scored` where it changed.

Set-based: a poll's leads are loaded in one statement per table, scored in memory, and saved,
recorded and outboxed in one statement per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from lead_schemas import (
    Envelope,
    LeadCaptured,
    LeadErased,
    LeadProgressed,
    LeadRecycled,
    LeadScored,
    LeadScoredData,
    RuleHit,
)
from lead_schemas.privacy import impersonal_capture
from leadkit.consumer import HandlerContext
from leadkit.db import Connection
from leadkit.erasure import erased_among, record_erased
from leadkit.messaging import Outbox
from leadkit.next_due import NextDue
from leadkit.policies import PolicyStore
from scoring.db import outcomes
from scoring.db.profiles import ScoreRow, forget_people, load_states, record_scores, save_states
from scoring.domain.facts import fold_captured, lead_profile
from scoring.domain.lead_state import LeadState, utc
from scoring.domain.model import RuleModel
from scoring.domain.score import Hit, Score, score_at
from scoring.domain.touches import touch_of
from scoring.predictors import Predictors

PRODUCER = "scoring"
Cause = Literal["captured", "decay", "activation", "recycled"]


@dataclass(frozen=True)
class Scoring:
    """What scoring's use cases share: the versioned models and the fitted predictors."""

    models: PolicyStore[RuleModel]
    predictors: Predictors
    # the decay worker's rest; every settle tells it when the soonest decay it wrote is due
    decay_due: NextDue = field(default_factory=lambda: NextDue(longest=30.0))


async def score_captured_leads(
    events: Sequence[LeadCaptured], ctx: HandlerContext, *, scoring: Scoring
) -> None:
    conn = ctx.connection
    lead_ids = sorted({event.lead_id for event in events})
    states = await load_states(conn, lead_ids)
    erased = await erased_among(conn, lead_ids)  # a late or replayed capture of an erased person
    causes: dict[UUID, Envelope] = {}
    for event in events:  # in order: a lead's second capture folds onto its first
        state = states.setdefault(event.lead_id, LeadState(lead_id=event.lead_id))
        data = impersonal_capture(event.data) if event.lead_id in erased else event.data
        state.facts = fold_captured(state.facts, data)
        state.add_touch(touch_of(data.touch))
        state.correlation_id = state.correlation_id or event.correlation_id
        causes[event.lead_id] = event
    await settle(conn, ctx.outbox, scoring, states.values(), now=ctx.now, cause="captured", causes=causes)


async def record_outcomes(
    events: Sequence[LeadProgressed | LeadRecycled], ctx: HandlerContext, *, scoring: Scoring
) -> None:
    """Sales' verdicts, kept for learning; a recycle also resets engagement as the model says."""
    await outcomes.record_outcomes(
        ctx.connection,
        [
            outcomes.Outcome(
                event_id=event.id,
                lead_id=event.lead_id,
                stage=event.data.stage if isinstance(event, LeadProgressed) else "recycled",
                reason=event.data.reason,
                amount=event.data.amount if isinstance(event, LeadProgressed) else None,
                occurred_at=event.occurred_at,
            )
            for event in events
        ],
    )
    recycled = {event.lead_id: event for event in events if isinstance(event, LeadRecycled)}
    if not recycled:
        return
    conn = ctx.connection
    _, model = await scoring.models.active(conn)
    states = await load_states(conn, sorted(recycled))  # a lead scoring never saw has nothing to reset
    for lead_id, state in states.items():
        if model.reset_engagement_on_recycle:
            state.engagement_since = recycled[lead_id].occurred_at
    await settle(
        conn, ctx.outbox, scoring, states.values(), now=ctx.now, cause="recycled", causes=dict(recycled)
    )


async def forget_lead_facts(events: Sequence[LeadErased], ctx: HandlerContext) -> None:
    """The people asked to be forgotten: drop what scoring knew of them, keep the bare score, and
    a tombstone so that nothing stores it again."""
    lead_ids = sorted({event.lead_id for event in events})
    await record_erased(ctx.connection, lead_ids, ctx.now)
    await forget_people(ctx.connection, lead_ids, ctx.now)


async def settle(
    conn: Connection,
    outbox: Outbox,
    scoring: Scoring,
    states: Iterable[LeadState],
    *,
    now: datetime,
    cause: Cause,
    causes: Mapping[UUID, Envelope] | None = None,
) -> int:
    """Score each lead now under the active model, save it with its next decay instant, emit
    where it changed.

    The active version is read here, each time: every instance follows an activation at its next
    poll, without a restart. A capture or recycle emits when anything the event carries changed;
    decay and activation only when grade, level or qualification did. Returns how many leads
    were emitted.
    """
    version, model = await scoring.models.active(conn)
    predictor = await scoring.predictors.latest(conn)
    states = list(states)
    emitted: list[LeadScored] = []
    rows: list[ScoreRow] = []
    for state in states:
        # a touch stamped a little ahead of this clock still counts, at full weight
        at = max([now.timestamp(), *(touch.at for touch in state.new_touches)])
        since = state.engagement_since.timestamp() if state.engagement_since else None
        result = score_at(state.facts, state.touches, model, at, engagement_since=since)
        prediction = predictor.predict(state.facts, result) if predictor else None
        before = (state.score, state.grade, state.level, state.qualified)
        changed = (
            before != (result.total, result.grade, result.level, result.qualified)
            if cause in ("captured", "recycled")
            else before[1:] != result.state
        )
        state.model_version = str(version)
        state.decay_due_at = utc(result.next_change_at) if result.next_change_at is not None else None
        if changed:
            event = _lead_scored(
                state, result, prediction, causes.get(state.lead_id) if causes else None, cause, now
            )
            emitted.append(event)
            rows.append(_score_row(event, cause))
        state.score, state.grade, state.fit, state.engagement = (
            result.total,
            result.grade,
            result.fit,
            result.engagement,
        )
        state.level, state.qualified = result.level, result.qualified
        state.predicted_conversion, state.predicted_win = prediction if prediction else (None, None)
    await save_states(conn, states, now)
    await record_scores(conn, rows)
    outbox.add(*emitted)
    if decays := [state.decay_due_at for state in states if state.decay_due_at is not None]:
        scoring.decay_due.expect(min(decays))
    return len(emitted)


def rule_hit(hit: Hit) -> RuleHit:
    """One line of a score as `lead.scored` carries it."""
    return RuleHit(
        rule_id=hit.rule_id,
        kind=hit.part,
        rule_kind=hit.kind,
        description=hit.description,
        points=hit.points,
        times=hit.times,
    )


def rule_hits(result: Score) -> list[RuleHit]:
    return [rule_hit(hit) for hit in result.hits]


def _lead_scored(
    state: LeadState,
    result: Score,
    prediction: tuple[float, float] | None,
    cause_event: Envelope | None,
    cause: Cause,
    now: datetime,
) -> LeadScored:
    data = LeadScoredData(
        score=result.total,
        grade=result.grade,
        fit_score=result.fit,
        engagement_score=result.engagement,
        model_version=state.model_version,
        reasons=rule_hits(result),
        previous_score=state.score,
        previous_grade=state.grade,
        engagement_level=result.level,
        qualified=result.qualified,
        previous_level=state.level,
        previous_qualified=state.qualified,
        cause=cause,
        predicted_conversion=prediction[0] if prediction else None,
        predicted_win=prediction[1] if prediction else None,
        lead=lead_profile(state.facts, max(state.touches, key=lambda touch: touch.at, default=None)),
    )
    if cause_event is not None:
        return cause_event.caused(LeadScored, producer=PRODUCER, occurred_at=now, data=data)
    return LeadScored.new(
        producer=PRODUCER,
        lead_id=state.lead_id,
        # decay and activations have no causing event; the lead's capture request still correlates
        correlation_id=state.correlation_id or state.lead_id,
        occurred_at=now,
        data=data,
    )


def _score_row(event: LeadScored, cause: Cause) -> ScoreRow:
    data = event.data
    assert data.engagement_level is not None
    assert data.qualified is not None
    return ScoreRow(
        lead_id=event.lead_id,
        event_id=event.id,
        cause_event_id=event.causation_id,
        score=data.score,
        grade=data.grade,
        fit=data.fit_score,
        engagement=data.engagement_score,
        level=data.engagement_level,
        qualified=data.qualified,
        predicted_conversion=data.predicted_conversion,
        cause=cause,
        model_version=data.model_version,
        reasons=[hit.model_dump(mode="json") for hit in data.reasons],
        scored_at=event.occurred_at,
    )
