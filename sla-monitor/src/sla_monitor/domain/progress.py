"""What a reported sales step does to the lead's SLA clocks and whether it recycles the lead. Pure.

- any step answers the owner's *accept* clock (accepting and rejecting alike);
- acceptance starts *first contact*, *follow-up* and *disposition*;
- a contact (or a meeting, or any later stage) meets *first contact*; each contact or meeting is a
  *follow-up* attempt, and the cadence is met once the tier's attempts are made (an SQL or a deal
  meets it: the lead answered);
- a disposition — SQL or further, lost, rejected — meets the *disposition* clock;
- won, lost and rejected close the lead: whatever clock still runs is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lead_schemas import Stage
from sla_monitor.domain.sla_policy import ClockName
from sla_monitor.domain.stages import NOT_NOW_REASONS

RecycleReason = str  # lead.recycled's reason: rejected_by_sales | lost_not_now | sla_exhausted

_FIRST_CONTACT: frozenset[str] = frozenset({"contacted", "meeting", "sql", "opportunity", "won"})
_ATTEMPTS: frozenset[str] = frozenset({"contacted", "meeting"})
_ANSWERED: frozenset[str] = frozenset({"sql", "opportunity", "won"})
_DISPOSITION: frozenset[str] = frozenset({"sql", "opportunity", "won", "lost", "rejected"})
_CLOSING: frozenset[str] = frozenset({"won", "lost", "rejected"})


@dataclass(frozen=True)
class ProgressEffect:
    meets: frozenset[ClockName]  # clocks this step meets outright
    attempt: bool  # a follow-up attempt: counts towards the cadence
    starts: tuple[ClockName, ...]  # clocks that start with this step
    closes_lead: bool  # the lead leaves sales: every clock still running is cancelled
    recycle_reason: RecycleReason | None  # lead.recycled's reason, when the lead goes back to marketing
    nurture: str | None  # which of the tier's nurture tracks: rejected | not_now


def effect_of(stage: Stage, reason: str | None) -> ProgressEffect:
    meets: set[ClockName] = {"accept"}
    if stage in _FIRST_CONTACT:
        meets.add("first_contact")
    if stage in _ANSWERED:
        meets.add("follow_up")
    if stage in _DISPOSITION:
        meets.add("disposition")
    recycle, nurture = None, None
    if stage == "rejected":
        recycle, nurture = "rejected_by_sales", "rejected"
    elif stage == "lost" and reason in NOT_NOW_REASONS:
        recycle, nurture = "lost_not_now", "not_now"
    return ProgressEffect(
        meets=frozenset(meets),
        attempt=stage in _ATTEMPTS,
        starts=("first_contact", "follow_up", "disposition") if stage == "accepted" else (),
        closes_lead=stage in _CLOSING,
        recycle_reason=recycle,
        nurture=nurture,
    )


def cadence_problem(
    stage: Stage, reason: str | None, *, attempts: int, required: int, unresponsive: frozenset[str]
) -> str | None:
    """Closing a lead as unresponsive before the follow-up cadence is done is refused: why, or None."""
    if stage != "lost" or reason not in unresponsive or attempts >= required:
        return None
    return (
        f"cannot close as unresponsive ({reason}) after {attempts} of {required} follow-up attempts: "
        "report the remaining contacts first, or force it with a detail"
    )


@dataclass(frozen=True)
class LeadOnFile:
    """A lead as sla-monitor holds it while a step is taken (locked): its owner, stage and the
    tier and policy version its clocks follow."""

    lead_id: UUID
    owner: str | None
    correlation_id: UUID
    qualified_event_id: UUID | None
    stage: str | None
    captured_at: datetime | None
    team: str | None
    tier: str | None
    sla_version: int | None
    assignment: int
