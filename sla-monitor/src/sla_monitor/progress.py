"""Sales progress, the use case: one step for one lead, its effect on the lead's clocks, the
events it emits. The API and the outcomes import both come through here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from lead_schemas import LeadProgressed, LeadProgressedData, LeadRecycled, LeadRecycledData
from lead_schemas.events import ClockAnswered
from leadkit.db import Connection
from leadkit.erasure import erased_among
from leadkit.messaging import Outbox
from sla_monitor.db import leads as lead_rows
from sla_monitor.db import timers as timer_rows
from sla_monitor.db.calendars import lead_clocks
from sla_monitor.domain.progress import LeadOnFile, ProgressEffect, cadence_problem, effect_of
from sla_monitor.domain.stages import ImpossibleStep, Step, Transition, transition
from sla_monitor.domain.timers import Closing, LeadClocks, RunningTimer, TimerRows, met
from sla_monitor.parts import SlaParts

PRODUCER = "sla-monitor"


class UnknownLead(LookupError):
    pass


class StepBeforeCapture(ValueError):
    pass


class CadenceNotDone(ValueError):
    """Closing a lead as unresponsive before the follow-up cadence: a 409 like an impossible step."""

    def __init__(self, problem: str, move: Transition) -> None:
        super().__init__(problem)
        self.transition = move


@dataclass(frozen=True)
class Reported:
    progressed: LeadProgressed
    recycled: LeadRecycled | None


async def report_progress(
    conn: Connection,
    lead_id: UUID,
    step: Step,
    *,
    parts: SlaParts,
    outbox: Outbox,
    now: datetime,
    via: str = "api",
) -> Reported:
    """One sales step. UnknownLead, StepBeforeCapture, ImpossibleStep or CadenceNotDone when it
    cannot be taken; a forced step is taken against the order and recorded as forced."""
    lead = await lead_rows.lock_lead(conn, lead_id)
    if lead is None:
        raise UnknownLead(lead_id)
    at = step.occurred_at or now
    if lead.captured_at is not None and at < lead.captured_at:
        captured = lead.captured_at.isoformat()
        raise StepBeforeCapture(f"occurred_at {at.isoformat()} is before the lead was captured ({captured})")
    move = transition(lead.stage, step.stage, assigned=lead.qualified_event_id is not None)
    if not move.allowed and not step.force:
        raise ImpossibleStep(step.stage, move)
    running = await timer_rows.lock_running(conn, lead_id)
    on = await _clocks_of(conn, lead, parts)
    _check_cadence(step, running, on, move)
    effect = effect_of(step.stage, step.reason)
    if await erased_among(conn, [lead_id]):
        step = replace(step, detail=None)  # the person was erased: sales' words about them are not kept
    answered = await _answer_clocks(conn, running, effect, on, at=at, owner=lead.owner, stage=step.stage)
    await lead_rows.set_stage(conn, lead_id, step.stage, now)
    progressed = LeadProgressed.new(
        producer=PRODUCER,
        lead_id=lead_id,
        correlation_id=lead.correlation_id,
        causation_id=lead.qualified_event_id,
        occurred_at=at,
        data=LeadProgressedData(
            stage=step.stage,
            owner=lead.owner,
            amount=step.amount,
            currency=step.currency,
            reason=step.reason,
            detail=None,  # sales' words stay in this database, where an erasure reaches them
            channel=step.channel,
            forced=not move.allowed,
            clocks_met=answered,
        ),
    )
    await lead_rows.record_step(
        conn,
        lead_rows.StepRecord(
            lead_id=lead_id,
            stage=step.stage,
            previous_stage=move.current,
            owner=lead.owner,
            amount=step.amount,
            currency=step.currency,
            reason=step.reason,
            detail=step.detail,
            channel=step.channel,
            forced=not move.allowed,
            occurred_at=at,
            via=via,
            event_id=progressed.id,
            reported_at=now,
        ),
    )
    outbox.add(progressed)
    if effect.starts and on is not None and lead.owner is not None:
        timers = TimerRows()
        for name in effect.starts:
            timers.start(
                lead_id,
                name,
                on,
                owner=lead.owner,
                started_at=at,
                assignment=lead.assignment,
                cause=progressed.id,
            )
        await timer_rows.start_timers(conn, timers)
        parts.started(timers)
    recycled = None
    if effect.recycle_reason is not None:
        track = None
        if on is not None and effect.nurture is not None:
            track = getattr(on.tier.nurture, effect.nurture)
        recycled = progressed.caused(
            LeadRecycled,
            producer=PRODUCER,
            occurred_at=at,
            data=LeadRecycledData(
                reason=effect.recycle_reason,
                detail=None,  # sales' words stay in this database
                owner=lead.owner,
                reason_code=step.reason,
                nurture_track=track,
            ),
        )
        outbox.add(recycled)
    return Reported(progressed, recycled)


async def _clocks_of(conn: Connection, lead: LeadOnFile, parts: SlaParts) -> LeadClocks | None:
    """The tier and calendar of a qualified lead's clocks; None for a lead never qualified."""
    if lead.tier is None or lead.sla_version is None:
        return None
    policy = await parts.policies.parsed(conn, lead.sla_version)
    return (await lead_clocks(conn, [(policy.tier_named(lead.tier), lead.sla_version, lead.team)]))[0]


def _check_cadence(step: Step, running: list[RunningTimer], on: LeadClocks | None, move: Transition) -> None:
    cadence = on.tier.clocks.get("follow_up") if on is not None else None
    clock = next((t for t in running if t.clock == "follow_up" and t.escalation != "warn"), None)
    if cadence is None or clock is None or step.force:
        return
    problem = cadence_problem(
        step.stage,
        step.reason,
        attempts=clock.attempts,
        required=clock.required_attempts or cadence.attempts,
        unresponsive=cadence.unresponsive_reasons,
    )
    if problem is not None:
        raise CadenceNotDone(problem, move)


async def _answer_clocks(
    conn: Connection,
    running: list[RunningTimer],
    effect: ProgressEffect,
    on: LeadClocks | None,
    *,
    at: datetime,
    owner: str | None,
    stage: str,
) -> list[ClockAnswered]:
    """Meet the clocks this step meets (follow-up once its attempts are made), cancel the rest when
    the lead closes; a clock's warning goes with its clock."""
    calendar = on.calendar if on is not None else None
    closings: list[Closing] = []
    answered: list[ClockAnswered] = []
    attempted: list[int] = []
    closed_clocks: set[str] = set()
    for timer in running:
        if timer.is_warning:
            continue
        done = timer.clock in effect.meets
        if timer.clock == "follow_up" and effect.attempt:
            attempted.append(timer.id)
            done = done or timer.attempts + 1 >= (timer.required_attempts or 1)
        if done:
            why = f"{owner or 'sales'} reported {stage}"
            closing = met(timer.id, timer.started_at, at, calendar, by=owner, why=why)
            closings.append(closing)
            closed_clocks.add(timer.clock)
            target = timer.target_minutes
            answered.append(
                ClockAnswered(
                    clock=timer.clock,
                    business_minutes=float(closing.minutes or 0),
                    target_minutes=None if target is None else float(target),
                    in_time=at <= timer.due_at,
                )
            )
        elif effect.closes_lead:
            closings.append(Closing(timer.id, "cancelled", at, f"lead {stage}"))
            closed_clocks.add(timer.clock)
    for timer in running:
        if timer.is_warning and timer.clock in closed_clocks:
            closings.append(Closing(timer.id, "cancelled", at, "its clock closed before the warning"))
    await timer_rows.count_attempts(conn, attempted)
    await timer_rows.close_timers(conn, closings)
    return answered
