"""The fairness ledger's report: per rep, what it got against what its weight promises. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ROTATION_METHODS = frozenset({"weighted_round_robin", "round_robin", "queue"})
DRIFT_WARNING = 0.02  # a share this far from its weight is flagged


@dataclass
class RepFairness:
    rep_id: str
    weight: int  # as the roster has it (GET /v1/reps), in the rotation or not
    in_rotation: bool = True  # False: deleted, or off the team; its weight counts in no share
    weight_share: float = 0.0
    assignments: int = 0  # every lead it was given: rotation, account owner, named rep, manual, reassigned to
    rotation_assignments: int = 0  # those the team's round robin gave it (the share is of these)
    share: float = 0.0
    drift: float = 0.0  # share minus weight_share
    flagged: bool = False
    skips: dict[str, int] = field(default_factory=dict)
    credits: int = 0
    reassigned_away: int = 0
    reassigned_to: int = 0


@dataclass(frozen=True)
class LedgerCount:
    rep_id: str
    entry: str  # assigned | skipped | reassigned_away | reassigned_to
    method: str | None
    reason: str | None
    credited: bool
    count: int


def fairness(
    counts: Iterable[LedgerCount], weights: Mapping[str, int], known: Mapping[str, int] | None = None
) -> list[RepFairness]:
    """`weights`: the team's reps in the rotation now, by id. A rep no longer in it still shows if
    the ledger has entries for it, with the weight the roster `known` gives it (0 when unknown),
    out of the rotation: no share of the weights is promised to it."""
    reps = {rep_id: RepFairness(rep_id, weight) for rep_id, weight in weights.items()}
    for count in counts:
        rep = reps.get(count.rep_id)
        if rep is None:
            rep = reps[count.rep_id] = RepFairness(
                count.rep_id, (known or {}).get(count.rep_id, 0), in_rotation=False
            )
        if count.entry == "assigned":
            rep.assignments += count.count
            if count.method in ROTATION_METHODS:
                rep.rotation_assignments += count.count
        elif count.entry == "reassigned_to":
            rep.assignments += count.count
            rep.reassigned_to += count.count
        elif count.entry == "reassigned_away":
            rep.reassigned_away += count.count
        elif count.entry == "skipped":
            reason = count.reason or "unknown"
            rep.skips[reason] = rep.skips.get(reason, 0) + count.count
            rep.credits += count.count if count.credited else 0
    total_weight = sum(weights.values())
    total_rotation = sum(rep.rotation_assignments for rep in reps.values())
    for rep in reps.values():
        rep.weight_share = rep.weight / total_weight if total_weight and rep.in_rotation else 0.0
        rep.share = rep.rotation_assignments / total_rotation if total_rotation else 0.0
        rep.drift = rep.share - rep.weight_share
        rep.flagged = total_rotation > 0 and abs(rep.drift) > DRIFT_WARNING
    return sorted(reps.values(), key=lambda rep: rep.rep_id)
