"""Is a scored lead an MQL? Scoring says so in `lead.scored` (its model's grade-by-engagement
matrix); events from before scoring carried `qualified` fall back to routing's old threshold.
Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Qualification:
    qualified: bool
    reason: str


def qualify(
    *, score: int, grade: str, level: str | None, qualified: bool | None, model_version: str, threshold: int
) -> Qualification:
    if qualified is not None:
        cell = f"grade {grade}, engagement {level}" if level else f"grade {grade}"
        verdict = "is marketing-qualified" if qualified else "is not marketing-qualified"
        return Qualification(
            qualified, f"{cell} (score {score}) {verdict} under scoring model {model_version}"
        )
    # an event from before scoring carried the qualification: routing's old bar
    if score >= threshold:
        return Qualification(True, f"score {score} (grade {grade}) meets the MQL bar of {threshold}")
    return Qualification(False, f"score {score} (grade {grade}) is below the MQL bar of {threshold}")
