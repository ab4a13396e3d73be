"""What a reported sales step means for the lead's SLA timers and for recycling. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from lead_schemas import Stage
from sla_monitor.domain.stages import NOT_NOW_REASONS


@dataclass(frozen=True)
class ProgressEffect:
    closes_accept_timer: bool  # the owner acted, so the speed-to-accept clock stops
    cancels_timers: bool  # the lead leaves sales: no clock applies any more
    recycle_reason: str | None  # lead.recycled reason, when the lead goes back to marketing


def effect_of(stage: Stage, reason: str | None) -> ProgressEffect:
    if stage == "rejected":
        return ProgressEffect(
            closes_accept_timer=True, cancels_timers=True, recycle_reason="rejected_by_sales"
        )
    if stage == "lost":
        not_now = reason in NOT_NOW_REASONS
        return ProgressEffect(
            closes_accept_timer=True, cancels_timers=True, recycle_reason="lost_not_now" if not_now else None
        )
    return ProgressEffect(closes_accept_timer=True, cancels_timers=stage == "won", recycle_reason=None)
