"""What sales' outcomes say about the model: calibration by score band and grade, and the rules
whose leads sales rejects or loses more often than the rest. Pure: takes each lead's score when
sales got it and what became of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

SQL_STAGES = frozenset({"sql", "opportunity", "won"})
BAND_WIDTH = 25


@dataclass(frozen=True)
class LeadOutcome:
    """One lead sales reported on: its score then, and what it became."""

    score: int
    grade: str
    rules: frozenset[str]  # the rules that fired (with points) when sales got it
    stages: frozenset[str]  # every stage reported: accepted, rejected, sql, won, lost, recycled…
    rejected_reason: str | None = None
    lost_reason: str | None = None
    predicted_sql: float | None = None
    predicted_win: float | None = None

    @property
    def reached_sql(self) -> bool:
        return bool(self.stages & SQL_STAGES)

    @property
    def won(self) -> bool:
        return "won" in self.stages

    def verdicts(self) -> list[tuple[str, str]]:
        """(`rejected` | `lost`, reason) for each negative verdict; reason `unspecified` if none."""
        found = []
        if "rejected" in self.stages:
            found.append(("rejected", self.rejected_reason or "unspecified"))
        if "lost" in self.stages:
            found.append(("lost", self.lost_reason or "unspecified"))
        return found


@dataclass(frozen=True)
class Cell:
    """Leads of one score band (or grade): how many, their SQL and win rates, and what the
    classifier predicted for them on average (None before it is fitted)."""

    key: str
    leads: int
    sql_rate: float
    win_rate: float
    predicted_sql: float | None
    predicted_win: float | None


@dataclass(frozen=True)
class Contradiction:
    rule_id: str
    verdict: str  # rejected | lost
    reason: str
    leads: int  # the rule's leads with an outcome
    rate: float  # share of them given this verdict for this reason
    overall: float  # share of every lead with an outcome given it
    line: str


@dataclass(frozen=True)
class RuleRecord:
    rule_id: str
    leads: int
    sql_rate: float
    win_rate: float
    verdicts: dict[str, float] = field(default_factory=dict)  # "rejected:no_budget" → share


def band_of(score: int) -> str:
    low = (score // BAND_WIDTH) * BAND_WIDTH
    return f"{low}..{low + BAND_WIDTH - 1}"


def _cell(key: str, leads: Sequence[LeadOutcome]) -> Cell:
    n = len(leads)
    predicted = [lead.predicted_sql for lead in leads if lead.predicted_sql is not None]
    predicted_win = [lead.predicted_win for lead in leads if lead.predicted_win is not None]
    return Cell(
        key=key,
        leads=n,
        sql_rate=round(sum(lead.reached_sql for lead in leads) / n, 4),
        win_rate=round(sum(lead.won for lead in leads) / n, 4),
        predicted_sql=round(sum(predicted) / len(predicted), 4) if predicted else None,
        predicted_win=round(sum(predicted_win) / len(predicted_win), 4) if predicted_win else None,
    )


def calibration(outcomes: Sequence[LeadOutcome]) -> tuple[list[Cell], list[Cell]]:
    """Cells by score band (lowest first) and by grade (A first)."""
    by_band: dict[int, list[LeadOutcome]] = {}
    by_grade: dict[str, list[LeadOutcome]] = {}
    for lead in outcomes:
        by_band.setdefault(lead.score // BAND_WIDTH, []).append(lead)
        by_grade.setdefault(lead.grade, []).append(lead)
    bands = [_cell(band_of(low * BAND_WIDTH), by_band[low]) for low in sorted(by_band)]
    grades = [_cell(grade, by_grade[grade]) for grade in sorted(by_grade)]
    return bands, grades


def rule_records(outcomes: Sequence[LeadOutcome]) -> list[RuleRecord]:
    leads_of: dict[str, list[LeadOutcome]] = {}
    for lead in outcomes:
        for rule in lead.rules:
            leads_of.setdefault(rule, []).append(lead)
    records = []
    for rule, leads in sorted(leads_of.items()):
        counted = Counter(f"{verdict}:{reason}" for lead in leads for verdict, reason in lead.verdicts())
        records.append(
            RuleRecord(
                rule_id=rule,
                leads=len(leads),
                sql_rate=round(sum(lead.reached_sql for lead in leads) / len(leads), 4),
                win_rate=round(sum(lead.won for lead in leads) / len(leads), 4),
                verdicts={key: round(count / len(leads), 4) for key, count in sorted(counted.items())},
            )
        )
    return records


def contradicted_rules(
    outcomes: Sequence[LeadOutcome], *, min_leads: int, margin: float = 0.15, ratio: float = 1.5
) -> list[Contradiction]:
    """Rules whose leads got one verdict for one reason clearly more often than leads overall:
    at least `min_leads` of the rule's leads have an outcome, and the rule's share is both
    `margin` above the overall share and `ratio` times it. Worst first."""
    if not outcomes:
        return []
    overall = Counter(f"{verdict}:{reason}" for lead in outcomes for verdict, reason in lead.verdicts())
    found = []
    for record in rule_records(outcomes):
        if record.leads < min_leads:
            continue
        for key, rate in record.verdicts.items():
            base = overall[key] / len(outcomes)
            if rate >= base + margin and rate >= base * ratio:
                verdict, reason = key.split(":", 1)
                found.append(
                    Contradiction(
                        rule_id=record.rule_id,
                        verdict=verdict,
                        reason=reason,
                        leads=record.leads,
                        rate=rate,
                        overall=round(base, 4),
                        line=(
                            f"leads matching `{record.rule_id}` were {verdict} {rate * 100:.0f} % of the "
                            f"time as `{reason}`, against {base * 100:.0f} % overall ({record.leads} leads "
                            "with an outcome)"
                        ),
                    )
                )
    return sorted(found, key=lambda c: (-(c.rate - c.overall), c.rule_id))
