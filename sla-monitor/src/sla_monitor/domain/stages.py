"""Sales progress as a state machine, with the reason codes marketing and sales agreed. Pure.

A lead's stage starts empty when it is assigned. Sales accepts it or rejects it; after acceptance
it may be contacted (again and again: follow-up attempts), meet, become an SQL and an
opportunity, and end won, lost or rejected. Later stages may be reported without the ones
between (a sales tool that only reports "won" after "accepted" still closes the loop); going back,
or anything after won, lost or rejected, is refused, unless forced with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lead_schemas import Stage
from lead_schemas.events import Channel

# the reasons a lead may be rejected, and lost (the same plus the deal's own)
REJECT_REASONS = (
    "no_budget", "no_authority", "no_need", "bad_timing", "bad_data", "competitor", "duplicate", "not_a_lead",
)  # fmt: skip
LOST_REASONS = (*REJECT_REASONS, "price", "lost_to_competitor", "no_decision")
# lost "not now": the lead goes back to marketing's nurture instead of being closed
NOT_NOW_REASONS = frozenset({"no_budget", "bad_timing", "no_decision"})

_AFTER_ACCEPT = ("contacted", "meeting", "sql", "opportunity", "won", "lost", "rejected")
NEXT: dict[str | None, tuple[str, ...]] = {
    None: ("accepted", "rejected"),
    "accepted": _AFTER_ACCEPT,
    "contacted": _AFTER_ACCEPT,
    "meeting": ("meeting", "sql", "opportunity", "won", "lost", "rejected"),
    "sql": ("opportunity", "won", "lost"),
    "opportunity": ("won", "lost"),
    "won": (),
    "lost": (),
    "rejected": (),
}


@dataclass(frozen=True)
class Transition:
    allowed: bool
    current: str | None
    allowed_next: tuple[str, ...]

    def explain(self, stage: str) -> str:
        now = self.current or "no step yet"
        after = ", ".join(self.allowed_next) or "nothing: the lead is closed"
        return f"cannot go from {now} to {stage}; allowed next: {after}"


# a lead sales worked without leadloop ever assigning it (reported from the CRM): its first step
# may be any stage; the order holds from there
UNASSIGNED_FIRST = ("accepted", "contacted", "meeting", "sql", "opportunity", "won", "lost", "rejected")


def transition(current: str | None, stage: str, *, assigned: bool = True) -> Transition:
    allowed_next = NEXT.get(current, ()) if assigned or current is not None else UNASSIGNED_FIRST
    return Transition(stage in allowed_next, current, allowed_next)


def reason_problem(stage: str, reason: str | None) -> str | None:
    """Why `reason` does not fit `stage`, or None. Rejected and lost need a code; others take none."""
    codes = REJECT_REASONS if stage == "rejected" else LOST_REASONS if stage == "lost" else ()
    if not codes:
        return None if reason is None else f"{stage} takes no reason code (put words in `detail`)"
    if reason is None:
        return f"{stage} needs a reason code: {', '.join(codes)}"
    if reason not in codes:
        return f"unknown reason code {reason!r} for {stage}; allowed: {', '.join(codes)}"
    return None


@dataclass(frozen=True)
class Step:
    """One step sales reports, as the use case takes it (checked at the edge)."""

    stage: Stage
    reason: str | None = None
    detail: str | None = None
    channel: Channel | None = None
    amount: Decimal | None = None
    currency: str | None = None
    force: bool = False
    occurred_at: datetime | None = None  # when it happened, if reported late or imported


class ImpossibleStep(ValueError):
    def __init__(self, stage: str, transition: Transition) -> None:
        super().__init__(transition.explain(stage))
        self.transition = transition
