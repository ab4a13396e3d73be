"""Outcomes as a dataset (scoring's own tables only), the fit that lands in `predictors`, and the
insights report that GET /v1/scoring/insights and `leadloop scoring insights` show."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from leadkit.db import Connection, Pool
from leadkit.service import Deps
from scoring.db.profiles import load_states
from scoring.domain.insights import LeadOutcome, calibration, contradicted_rules, rule_records
from scoring.domain.predict import features
from scoring.domain.score import score_at
from scoring.handlers import Scoring
from scoring.learning import Example, TooLittleData, fit_predictor

_OUTCOME_LEADS = """
SELECT lead_id, array_agg(stage) AS stages, min(occurred_at) AS first_at,
       (array_agg(reason ORDER BY occurred_at DESC) FILTER (WHERE stage = 'rejected'))[1] AS rejected_reason,
       (array_agg(reason ORDER BY occurred_at DESC) FILTER (WHERE stage = 'lost'))[1] AS lost_reason
FROM outcomes GROUP BY lead_id
HAVING bool_or(stage <> 'recycled')  -- a verdict from sales; an SLA recycle alone says nothing of fit
ORDER BY lead_id
"""
_SAVE_PREDICTOR = (
    "INSERT INTO predictors (fitted_at, leads, parameters) VALUES ($1, $2, $3::jsonb) RETURNING id"
)
_LATEST_FIT = """
SELECT id, fitted_at, leads, (parameters->>'conversions')::int AS conversions,
       (parameters->>'outcome_leads')::int AS outcome_leads
FROM predictors ORDER BY id DESC LIMIT 1
"""
_OUTCOME_COUNT = "SELECT count(DISTINCT lead_id) FROM outcomes WHERE stage <> 'recycled'"
_FIT_LOCK = "SELECT pg_try_advisory_xact_lock(hashtext('scoring-fit'))"
_CHUNK = 2000


async def outcome_dataset(conn: Connection, scoring: Scoring) -> list[tuple[LeadOutcome, Example]]:
    """Each lead sales reported on, scored under the active model as it stood at the first
    report (when sales had it); leads scoring never saw have no facts and are left out."""
    _, model = await scoring.models.active(conn)
    predictor = await scoring.predictors.latest(conn)
    rows = await conn.fetch(_OUTCOME_LEADS)
    dataset = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        states = await load_states(conn, [row["lead_id"] for row in chunk], lock=False)
        for row in chunk:
            state = states.get(row["lead_id"])
            if state is None:
                continue
            score = score_at(state.facts, state.touches, model, row["first_at"].timestamp())
            prediction = predictor.predict(state.facts, score) if predictor else None
            outcome = LeadOutcome(
                score=score.total,
                grade=score.grade,
                rules=frozenset(hit.rule_id for hit in score.hits if hit.kind != "cap"),
                stages=frozenset(row["stages"]),
                rejected_reason=row["rejected_reason"],
                lost_reason=row["lost_reason"],
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
        if not await conn.fetchval(_FIT_LOCK):
            return FitResult(False, "another scoring instance is fitting right now")
        outcome_leads = await conn.fetchval(_OUTCOME_COUNT)
        examples = [example for _, example in await outcome_dataset(conn, scoring)]
        # scikit-learn holds the CPU: off the event loop, so requests and consumers carry on
        fitted = await asyncio.to_thread(
            fit_predictor, examples, min_leads=min_leads, min_conversions=min_conversions
        )
        if isinstance(fitted, TooLittleData):
            return FitResult(False, fitted.message)
        conversions = sum(example.reached_sql for example in examples)
        parameters = {**fitted.parameters(), "conversions": conversions, "outcome_leads": outcome_leads}
        predictor_id = await conn.fetchval(_SAVE_PREDICTOR, now, len(examples), json.dumps(parameters))
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
    latest = await conn.fetchrow(_LATEST_FIT)
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
            "id": latest["id"],
            "fitted_at": latest["fitted_at"].isoformat(),
            "leads": latest["leads"],
            "conversions": latest["conversions"],
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


async def run_fit_worker(
    deps: Deps, *, scoring: Scoring, interval: float, min_leads: int, min_conversions: int
) -> None:
    """Refit when more leads have outcomes than the last fit saw."""
    while True:
        async with deps.pool.acquire() as conn:
            leads = await conn.fetchval(_OUTCOME_COUNT)
            latest = await conn.fetchrow(_LATEST_FIT)
        if leads >= min_leads and (latest is None or leads > (latest["outcome_leads"] or 0)):
            await fit_now(
                deps.pool, scoring, now=deps.clock(), min_leads=min_leads, min_conversions=min_conversions
            )
        await asyncio.sleep(interval)
