"""Funnel stages: what one sales step says about how far a lead got. Pure.

A lead that reached a stage passed every stage before it: a won deal counts as an accepted
lead (SAL), an SQL and an opportunity too, even when sales never reported those steps.
"""

from __future__ import annotations

from typing import Literal, get_args

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

GroupBy = Literal[
    "source",
    "medium",
    "channel",
    "campaign",
    "content",
    "form",
    "rep",
    "team",
    "grade",
    "day",
    "week",
    "month",
]
GROUP_KEYS: tuple[GroupBy, ...] = get_args(GroupBy)
PERIODS = ("day", "week", "month")  # of capture: the cohort view
# the projection's column of each group key that is not a period (first touch, owner, team, grade)
GROUP_COLUMNS: dict[str, str] = {
    "source": "source",
    "medium": "medium",
    "channel": "channel",
    "campaign": "campaign",
    "content": "content",
    "form": "form",
    "rep": "owner",
    "team": "team",
    "grade": "grade",
}
# velocity: the steps between stages, by the columns of their first times
STEPS = (
    ("capture_to_mql", "captured_at", "mql_at"),
    ("mql_to_sal", "mql_at", "sal_at"),
    ("sal_to_sql", "sal_at", "sql_at"),
    ("sql_to_opportunity", "sql_at", "opportunity_at"),
    ("opportunity_to_won", "opportunity_at", "won_at"),
    ("sales_cycle", "captured_at", "won_at"),
)
NONE_KEY = "(none)"


def stages_reached(stage: str) -> tuple[FunnelFlag, ...]:
    return _REACHED.get(stage, ())
