"""Funnel stages: what one sales step says about how far a lead got. Pure.

A lead that reached a stage passed every stage before it: a won deal counts as an accepted
lead (SAL), an SQL and an opportunity too, even when sales never reported those steps.
"""

from __future__ import annotations

from typing import Literal

FunnelFlag = Literal["is_sal", "is_sql", "is_opportunity", "is_won"]

_REACHED: dict[str, tuple[FunnelFlag, ...]] = {
    "accepted": ("is_sal",),
    "contacted": ("is_sal",),
    "meeting": ("is_sal",),
    "sql": ("is_sal", "is_sql"),
    "opportunity": ("is_sal", "is_sql", "is_opportunity"),
    "won": ("is_sal", "is_sql", "is_opportunity", "is_won"),
    "lost": (),
    "rejected": (),
}

GroupBy = Literal["source", "medium", "campaign", "content"]
NONE_KEY = "(none)"


def stages_reached(stage: str) -> tuple[FunnelFlag, ...]:
    return _REACHED.get(stage, ())
