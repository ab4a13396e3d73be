"""One lead as scoring holds it between events. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from scoring.domain.facts import Facts
from scoring.domain.touches import Touch


@dataclass
class LeadState:
    """One lead as scoring holds it: facts, touches, and the score it last published."""

    lead_id: UUID
    facts: Facts = field(default_factory=dict)
    touches: list[Touch] = field(default_factory=list)
    new_touches: list[Touch] = field(default_factory=list)
    score: int | None = None  # None: never scored
    grade: str | None = None
    fit: int = 0
    engagement: int = 0
    level: str | None = None
    qualified: bool | None = None
    engagement_since: datetime | None = None
    correlation_id: UUID | None = None
    model_version: str = ""
    decay_due_at: datetime | None = None
    predicted_conversion: float | None = None
    predicted_win: float | None = None

    def add_touch(self, touch: Touch) -> None:
        if all(known.id != touch.id for known in self.touches):
            self.touches.append(touch)
            self.touches.sort(key=lambda t: t.at)
            self.new_touches.append(touch)


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)
