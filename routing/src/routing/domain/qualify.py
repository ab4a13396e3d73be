"""The MQL bar: does a scored lead qualify for sales? Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Qualification:
    qualified: bool
    reason: str


def qualify(*, score: int, grade: str, threshold: int) -> Qualification:
    if score >= threshold:
        return Qualification(True, f"score {score} (grade {grade}) meets the MQL bar of {threshold}")
    return Qualification(False, f"score {score} (grade {grade}) is below the MQL bar of {threshold}")
