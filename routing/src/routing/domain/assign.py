"""Choosing a rep: plain round robin over the active reps, skipping the excluded. Pure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from routing.domain.config import Rep


@dataclass(frozen=True)
class Assignment:
    rep: Rep
    rule: str
    next_cursor: int
    passed_over: tuple[tuple[str, str], ...]  # (rep id, why)


class NoEligibleRep(Exception):
    def __init__(self, passed_over: Sequence[tuple[str, str]]) -> None:
        super().__init__("no rep can take the lead: " + "; ".join(f"{r}: {why}" for r, why in passed_over))
        self.passed_over = tuple(passed_over)


def round_robin(reps: Sequence[Rep], *, cursor: int, exclude: Collection[str] = ()) -> Assignment:
    """The next rep after position `cursor` (the last one assigned) who is active and not excluded.

    `next_cursor` is the chosen rep's position, so the one after them is next in line.
    """
    passed_over: list[tuple[str, str]] = []
    count = len(reps)
    for step in range(1, count + 1):
        position = (cursor + step) % count
        rep = reps[position]
        if not rep.active:
            passed_over.append((rep.id, "inactive"))
        elif rep.id in exclude:
            passed_over.append((rep.id, "excluded: already had this lead"))
        else:
            return Assignment(
                rep=rep, rule="round_robin", next_cursor=position, passed_over=tuple(passed_over)
            )
    raise NoEligibleRep(passed_over)
