"""Distribution within a team: who may take this lead, and whose turn it is. Pure.

Smooth weighted round robin (the interleaving nginx uses for weighted upstreams): every round,
each rep in the rotation gains its weight; the eligible rep with the most is chosen and gives
back the round's total. Over any run of W = sum-of-weights rounds each rep is chosen exactly
its weight's times, and the choices interleave (5:1:1 gives a a b a c a a, not a a a a a b c).

A rep who is in the rotation but cannot take this lead (absent, capped, at capacity, outside
hours, no skill, already had the lead) still gains its weight: that is its credit. When it can
take leads again it holds the most and is chosen until the credit is spent, so skipping never
costs it its share. Credit is bounded by the policy's `credit_limit` (in leads), so a rep back
from a month away does not take the next month's leads in one go.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.domain.roster import Load, Rep


@dataclass(frozen=True)
class Candidate:
    rep_id: str
    eligible: bool
    # when not eligible: switched_off, absent, capped_daily, capped_weekly, at_capacity,
    # outside_hours, no_skill or already_had_lead
    why: str | None
    detail: str
    credit_before: int = 0
    credited: bool = False  # gained its weight although passed over


def skip_reason(
    rep: Rep,
    load: Load,
    *,
    at: datetime,
    skills: Collection[str],
    exclude: Collection[str],
) -> tuple[str, str] | None:
    """Why `rep` cannot take a lead now, or None when it can. The first reason found is given."""
    if not rep.active:
        return "switched_off", "switched off"
    absence = rep.absence_at(at)
    if absence is not None:
        return "absent", f"absent {absence.starts}..{absence.ends} ({absence.reason})"
    if rep.id in exclude:
        return "already_had_lead", "already had this lead"
    if rep.daily_cap is not None and load.today >= rep.daily_cap:
        return "capped_daily", f"daily cap reached ({load.today}/{rep.daily_cap})"
    if rep.weekly_cap is not None and load.this_week >= rep.weekly_cap:
        return "capped_weekly", f"weekly cap reached ({load.this_week}/{rep.weekly_cap})"
    if rep.max_open is not None and load.open_leads >= rep.max_open:
        return "at_capacity", f"at capacity ({load.open_leads}/{rep.max_open} open leads)"
    if not rep.working_at(at):
        local = rep.local(at)
        return "outside_hours", f"outside working hours ({local:%a %H:%M} {rep.timezone})"
    missing = [skill for skill in skills if not rep.has_skill(skill)]
    if missing:
        return "no_skill", f"lacks skill {', '.join(missing)}"
    return None


@dataclass(frozen=True)
class Turn:
    chosen: str | None
    candidates: tuple[Candidate, ...]
    credits: dict[str, int]  # the rotation's state after this round (unchanged when nobody was chosen)
    tie_break: str


def next_turn(
    reps: Sequence[Rep],
    loads: Mapping[str, Load],
    credits: Mapping[str, int],
    *,
    at: datetime,
    method: str,
    skills: Collection[str] = (),
    exclude: Collection[str] = (),
    credit_limit: int = 10,
) -> Turn:
    """One round of the team's rotation for one lead. `reps` are the team's members in a stable
    order; `credits` the rotation's state (missing reps start at 0)."""
    weights = {rep.id: (1 if method == "round_robin" else rep.weight) for rep in reps}
    in_rotation = [rep for rep in reps if rep.active and weights[rep.id] > 0]
    total = sum(weights[rep.id] for rep in in_rotation)
    reasons = {
        rep.id: skip_reason(rep, loads.get(rep.id, Load()), at=at, skills=skills, exclude=exclude)
        for rep in reps
    }
    eligible = [rep for rep in in_rotation if reasons[rep.id] is None]
    if not eligible:
        nobody = tuple(
            Candidate(
                rep.id,
                False,
                *(reasons[rep.id] or ("switched_off", "weight 0: takes no turns")),
                credit_before=credits.get(rep.id, 0),
            )
            for rep in reps
        )
        return Turn(None, nobody, dict(credits), "nobody could take the lead")
    limit = credit_limit * total
    after = {rep.id: min(credits.get(rep.id, 0) + weights[rep.id], limit) for rep in in_rotation}
    best = max(after[rep.id] for rep in eligible)
    tied = [rep for rep in eligible if after[rep.id] == best]
    chosen = tied[0]
    after[chosen.id] -= total
    tie_break = (
        f"{chosen.id} held the most credit ({best} after adding weights; round total {total})"
        if len(tied) == 1
        else f"{', '.join(r.id for r in tied)} tied at {best}: {chosen.id} is first in id order"
    )
    candidates = []
    for rep in reps:
        reason = reasons[rep.id]
        before = credits.get(rep.id, 0)
        if rep.id == chosen.id:
            candidates.append(Candidate(rep.id, True, None, "chosen", before))
        elif reason is None and weights[rep.id] > 0:
            candidates.append(Candidate(rep.id, True, None, "eligible: not its turn", before))
        elif reason is None:
            candidates.append(Candidate(rep.id, False, "switched_off", "weight 0: takes no turns", before))
        else:
            credited = rep.id in after and reason[0] != "switched_off"
            candidates.append(Candidate(rep.id, False, reason[0], reason[1], before, credited))
    new_credits = dict(credits) | after
    return Turn(chosen.id, tuple(candidates), new_credits, tie_break)
