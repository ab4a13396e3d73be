"""Outcomes as a dataset (scoring's own tables only), the fit that lands in `predictors` (the
classifier itself: learning.py), and the insights report that GET /v1/scoring/insights and
`leadloop scoring insights` show."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from leadkit.db import Connection, Pool
from scoring.db.outcomes import leads_with_verdicts, leads_with_verdicts_count
from scoring.db.predictors import latest_fit, save_predictor, try_fit_lock
from scoring.db.profiles import load_states
from scoring.domain.insights import LeadOutcome, calibration, contradicted_rules, rule_records
from scoring.domain.predict import features
from scoring.domain.score import score_at
from scoring.handlers import Scoring
from scoring.learning import Example, TooLittleData, fit_predictor

_CHUNK = 2000


async def outcome_dataset(conn: Connection, scoring: Scoring) -> list[tuple[LeadOutcome, Example]]:
    """Each lead sales reported on, scored under the active model as it stood at the first
    report (when sales had it); leads scoring never saw have no facts and are left out."""
    _, model = await scoring.models.active(conn)
    predictor = await scoring.predictors.latest(conn)
    rows = await leads_with_verdicts(conn)
    dataset = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        states = await load_states(conn, [row.lead_id for row in chunk], lock=False)
        for row in chunk:
            state = states.get(row.lead_id)
            if state is None:
                continue
            score = score_at(state.facts, state.touches, model, row.first_at.timestamp())
            prediction = predictor.predict(state.facts, score) if predictor else None
            outcome = LeadOutcome(
                score=score.total,
                grade=score.grade,
                rules=frozenset(hit.rule_id for hit in score.hits if hit.kind != "cap"),
                stages=row.stages,
                rejected_reason=row.rejected_reason,
                lost_reason=row.lost_reason,
                predicted_sql=prediction[0] if prediction else None,
                predicted_win=prediction[1] if prediction else None,
            )
            dataset.append((outcome, Example(features(state.facts, score), outcome.reached_sql, outcome.won)))
    return dataset


@dataclass(frozen=True)
class FitResult:
    fitted: bool
    message: str
    predictor_id: int | None = None


async def fit_now(
    pool: Pool, scoring: Scoring, *, now: datetime, min_leads: int, min_conversions: int
) -> FitResult:
    async with pool.acquire() as conn, conn.transaction():
        if not await try_fit_lock(conn):
            return FitResult(False, "another scoring instance is fitting right now")
        outcome_leads = await leads_with_verdicts_count(conn)
        examples = [example for _, example in await outcome_dataset(conn, scoring)]
        # scikit-learn holds the CPU: off the event loop, so requests and consumers carry on
        fitted = await asyncio.to_thread(
            fit_predictor, examples, min_leads=min_leads, min_conversions=min_conversions
        )
        if isinstance(fitted, TooLittleData):
            return FitResult(False, fitted.message)
        conversions = sum(example.reached_sql for example in examples)
        parameters = {**fitted.parameters(), "conversions": conversions, "outcome_leads": outcome_leads}
        predictor_id = await save_predictor(conn, now, len(examples), parameters)
    scoring.predictors.forget()
    return FitResult(
        True, f"fitted on {len(examples)} leads with an outcome, {conversions} reached SQL", predictor_id
    )


async def insights(
    conn: Connection, scoring: Scoring, *, min_leads: int, min_conversions: int, min_rule_outcomes: int
) -> dict[str, Any]:
    dataset = await outcome_dataset(conn, scoring)
    outcomes = [outcome for outcome, _ in dataset]
    conversions = sum(outcome.reached_sql for outcome in outcomes)
    latest = await latest_fit(conn)
    if latest is None:
        predictor: dict[str, Any] = {
            "fitted": False,
            "message": TooLittleData(len(outcomes), conversions, min_leads, min_conversions).message
            if len(outcomes) < min_leads or conversions < min_conversions
            else "not fitted yet: enough outcomes exist; the next hourly fit (or POST "
            "/v1/scoring/insights/fit) will fit it",
        }
    else:
        predictor = {
            "fitted": True,
            "id": latest.id,
            "fitted_at": latest.fitted_at.isoformat(),
            "leads": latest.leads,
            "conversions": latest.conversions,
            "message": "predictions in lead.scored come from this fit; predicted_* below are in-sample",
        }
    by_band, by_grade = calibration(outcomes)
    return {
        "outcomes": {
            "leads": len(outcomes),
            "reached_sql": conversions,
            "won": sum(outcome.won for outcome in outcomes),
        },
        "predictor": predictor,
        "calibration": {
            "by_score_band": [asdict(cell) for cell in by_band],
            "by_grade": [asdict(cell) for cell in by_grade],
        },
        "contradicted_rules": [asdict(c) for c in contradicted_rules(outcomes, min_leads=min_rule_outcomes)],
        "rules": [asdict(record) for record in rule_records(outcomes)],
    }
