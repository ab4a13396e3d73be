"""What-if for an SLA policy version: the clocks that ran in a window, replayed through it. Pure.

Each clock keeps its start (the assignment or acceptance as it happened) and the step that met it;
the draft chooses the lead's tier again from the facts it was chosen on, and that tier's clock of
the same name gives a new due time on its calendar. A clock met at T is met under the draft if T is
not after the draft's due time. A clock that breached is still breached if the draft's due time is
no later; with a later one the answer is unknown — the lead moved on at the breach, so whether a
step would have come in the extra time cannot be told. A clock the draft's tier does not have is
`not_run`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sla_monitor.domain.calendar import BusinessCalendar
from sla_monitor.domain.sla_clock import clock_calendar, schedule
from sla_monitor.domain.sla_policy import ClockName, SlaPolicy

Outcome = Literal["met", "breached", "unknown", "not_run"]


@dataclass(frozen=True)
class PastClock:
    lead_id: UUID
    clock: ClockName
    tier: str | None
    team: str | None
    owner: str
    started_at: datetime
    due_at: datetime
    status: Literal["met", "breached"]
    closed_at: datetime
    facts: Mapping[str, str | int | None]


@dataclass(frozen=True)
class Replayed:
    past: PastClock
    actual: Literal["met", "breached"]
    draft: Outcome
    draft_tier: str
    draft_due_at: datetime | None


def actual_outcome(clock: PastClock) -> Literal["met", "breached"]:
    """A clock met after its due time (a late report) was breached, as compliance counts it."""
    return "met" if clock.status == "met" and clock.closed_at <= clock.due_at else "breached"


def replay(
    clocks: Sequence[PastClock], policy: SlaPolicy, team_calendars: Mapping[str, BusinessCalendar]
) -> list[Replayed]:
    replayed = []
    for past in clocks:
        tier = policy.tier_for(dict(past.facts))
        clock = tier.clocks.get(past.clock)
        actual = actual_outcome(past)
        if clock is None:
            replayed.append(Replayed(past, actual, "not_run", tier.name, None))
            continue
        _, calendar = clock_calendar(tier, past.team, team_calendars)
        due = schedule(clock, past.started_at, calendar).due_at
        draft: Outcome
        if past.status == "met":
            draft = "met" if past.closed_at <= due else "breached"
        else:
            draft = "breached" if due <= past.due_at else "unknown"
        replayed.append(Replayed(past, actual, draft, tier.name, due))
    return replayed


def summary(replayed: Sequence[Replayed], *, changes: int = 500) -> dict[str, Any]:
    """Per clock, actual met and breached against the draft's outcomes, and the clocks whose outcome
    changes (the first `changes` of them)."""
    per_clock: dict[str, dict[str, Counter[str]]] = {}
    for item in replayed:
        counts = per_clock.setdefault(item.past.clock, {"actual": Counter(), "draft": Counter()})
        counts["actual"][item.actual] += 1
        counts["draft"][item.draft] += 1
    changed = [item for item in replayed if item.draft != item.actual]
    return {
        "clocks": len(replayed),
        "by_clock": {
            name: {"actual": dict(sorted(c["actual"].items())), "draft": dict(sorted(c["draft"].items()))}
            for name, c in sorted(per_clock.items())
        },
        "changed": [
            {
                "lead_id": str(item.past.lead_id),
                "clock": item.past.clock,
                "owner": item.past.owner,
                "actual": item.actual,
                "draft": item.draft,
                "actual_tier": item.past.tier,
                "draft_tier": item.draft_tier,
                "started_at": item.past.started_at.isoformat(),
                "actual_due_at": item.past.due_at.isoformat(),
                "draft_due_at": item.draft_due_at.isoformat() if item.draft_due_at else None,
            }
            for item in changed[:changes]
        ],
        "changed_total": len(changed),
    }
