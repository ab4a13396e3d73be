"""Where a lead stands on the live feed: the furthest step of captured → scored → routed →
accepted it reached (or that sales rejected it, or it went back to marketing). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

FeedStage = Literal["captured", "scored", "routed", "accepted", "rejected", "recycled"]
STAGES: tuple[FeedStage, ...] = ("captured", "scored", "routed", "accepted")


def feed_stage(
    *,
    score: int | None,
    assigned_at: datetime | None,
    sal_at: datetime | None,
    rejected: bool,
    recycled: bool,
) -> FeedStage:
    if recycled:
        return "recycled"
    if rejected:
        return "rejected"
    if sal_at is not None:
        return "accepted"
    if assigned_at is not None:
        return "routed"
    if score is not None:
        return "scored"
    return "captured"
