"""What outcomes taught (GET /v1/scoring/insights, POST …/fit) and what a draft would do
(POST /v1/scoring/models/{version}/simulate). Both read scoring's own store only; simulating
changes nothing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from leadkit.access import require_role
from leadkit.bounds import Instant
from leadkit.policy_api import VersionNumber
from leadkit.policy_document import UnknownVersion
from leadkit.service import Deps, get_deps
from scoring.api.scores import scoring_of
from scoring.db.profiles import leads_created_between, load_states, stages_reached
from scoring.db.rescore_jobs import job_progress, latest_job
from scoring.domain.simulate import SimulatedLead, ordered, simulate
from scoring.fitting import fit_now, insights
from scoring.settings import ScoringSettings

router = APIRouter(
    prefix="/v1/scoring", tags=["scoring insights"], dependencies=[Depends(require_role("viewer"))]
)
DepsParam = Annotated[Deps, Depends(get_deps)]

_CHUNK = 2000


def _settings(deps: Deps) -> ScoringSettings:
    assert isinstance(deps.settings, ScoringSettings)
    return deps.settings


@router.get("/insights", summary="Calibration, rules the outcomes contradict, and the classifier's state")
async def get_insights(deps: DepsParam) -> dict[str, Any]:
    settings = _settings(deps)
    async with deps.pool.acquire() as conn, conn.transaction():
        return await insights(
            conn,
            scoring_of(deps),
            min_leads=settings.learning_min_leads,
            min_conversions=settings.learning_min_conversions,
            min_rule_outcomes=settings.insights_min_rule_outcomes,
        )


@router.post(
    "/insights/fit",
    dependencies=[Depends(require_role("admin"))],
    summary="Fit the classifier on the outcomes now (it refits hourly anyway)",
)
async def fit(deps: DepsParam) -> dict[str, Any]:
    settings = _settings(deps)
    result = await fit_now(
        deps.pool,
        scoring_of(deps),
        now=deps.clock(),
        min_leads=settings.learning_min_leads,
        min_conversions=settings.learning_min_conversions,
    )
    return asdict(result)


@router.get(
    "/rescores/latest",
    summary="The latest re-score (started by an activation or a rollback) and how far it got",
    responses={404: {"description": "no model has been activated since scoring started"}},
)
async def latest_rescore(deps: DepsParam) -> dict[str, Any]:
    async with deps.pool.acquire() as conn:
        job_id = await latest_job(conn)
        if job_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no re-score has run yet")
        progress = await job_progress(conn, job_id)
    return {**asdict(progress), "finished": progress.finished_at is not None}


@router.post(
    "/models/{version}/simulate",
    summary="Re-score the leads captured in a window under a version, against the active model",
    responses={404: {"description": "no such version"}, 422: {"description": "`from` is not before `to`"}},
)
async def simulate_version(
    version: VersionNumber,
    deps: DepsParam,
    from_: Annotated[Instant | None, Query(alias="from", description="default: 90 days before `to`")] = None,
    to: Annotated[Instant | None, Query(description="default: now")] = None,
) -> dict[str, Any]:
    until = to or deps.clock()
    since = from_ or until - timedelta(days=90)
    if since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="`from` must be before `to`")
    scoring = scoring_of(deps)
    async with deps.pool.acquire() as conn, conn.transaction():
        try:
            draft = await scoring.models.parsed(conn, version)
        except UnknownVersion as error:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from error
        active_version, active = await scoring.models.active(conn)
        lead_ids = await leads_created_between(conn, since, until)
        leads: list[SimulatedLead] = []
        for start in range(0, len(lead_ids), _CHUNK):
            chunk = lead_ids[start : start + _CHUNK]
            states = await load_states(conn, chunk, lock=False)
            stages = await stages_reached(conn, chunk)
            leads.extend(
                SimulatedLead(lead_id, state.facts, state.touches, stages.get(lead_id, frozenset()))
                for lead_id, state in states.items()
            )
    result = simulate(leads, draft=draft, active=active, until=until.timestamp())
    return {
        "version": version,
        "active_version": active_version,
        "from": since.isoformat(),
        "to": until.isoformat(),
        "leads": result.leads,
        "mqls": {"active": result.active_mqls, "draft": result.draft_mqls},
        "by_source": [asdict(group) for group in ordered(result.by_source)],
        "by_campaign": [asdict(group) for group in ordered(result.by_campaign)],
        "flips": {
            "became_mql": asdict(result.became_mql),
            "stopped_being_mql": asdict(result.stopped_being_mql),
        },
        "outcomes": {
            "active_mqls": asdict(result.active_outcomes),
            "draft_mqls": asdict(result.draft_outcomes),
        },
    }
