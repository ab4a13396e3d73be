"""The marketing side of the SLA: MQLs delivered against the policy's volume and quality targets.
Pure: takes the period's counts and the targets, returns one row per target (and per team
without one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sla_monitor.domain.sla_policy import Target


@dataclass(frozen=True)
class Verdicts:
    """MQLs of one team and region in the period, by sales' first verdict (None: none yet)."""

    team: str | None
    region: str | None
    verdict: str | None  # accepted | rejected | None
    reason: str | None  # the rejection's reason code
    count: int


@dataclass
class MarketingRow:
    team: str | None
    region: str | None
    delivered: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    target: Target | None = None

    @property
    def awaiting(self) -> int:
        return self.delivered - self.accepted - self.rejected

    @property
    def accepted_share(self) -> float | None:
        return self.accepted / self.delivered if self.delivered else None

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.delivered if self.delivered else None

    @property
    def volume_met(self) -> bool | None:
        return None if self.target is None else self.delivered >= self.target.mqls

    @property
    def quality_met(self) -> bool | None:
        """Accepted share at least, and rejected share at most, what the target asks; None: no ask."""
        if self.target is None:
            return None
        checks = []
        if self.target.min_accepted_share is not None:
            checks.append((self.accepted_share or 0.0) >= self.target.min_accepted_share)
        if self.target.max_rejected_share is not None:
            checks.append((self.rejected_share or 0.0) <= self.target.max_rejected_share)
        return all(checks) if checks else None


def _add(row: MarketingRow, verdicts: Verdicts) -> None:
    row.delivered += verdicts.count
    if verdicts.verdict == "accepted":
        row.accepted += verdicts.count
    elif verdicts.verdict == "rejected":
        row.rejected += verdicts.count
        row.rejected_by_reason[verdicts.reason or "unknown"] += verdicts.count


def marketing_rows(counts: Iterable[Verdicts], targets: Sequence[Target], kind: str) -> list[MarketingRow]:
    """A row per target of this period kind (a team's, a region's, or everyone's), then a row per
    team that delivered MQLs but has no team target."""
    counts = list(counts)
    rows: list[MarketingRow] = []
    for target in (t for t in targets if t.period == kind):
        row = MarketingRow(team=target.team, region=target.region, target=target)
        for verdicts in counts:
            if (target.team is None or verdicts.team == target.team) and (
                target.region is None or verdicts.region == target.region
            ):
                _add(row, verdicts)
        rows.append(row)
    targeted = {t.team for t in targets if t.period == kind and t.team is not None}
    others: dict[str | None, MarketingRow] = {}
    for verdicts in counts:
        if verdicts.team not in targeted:
            _add(others.setdefault(verdicts.team, MarketingRow(team=verdicts.team, region=None)), verdicts)
    rows.extend(others[team] for team in sorted(others, key=lambda t: t or ""))
    return rows
