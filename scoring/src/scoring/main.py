"""scoring: lead.captured → fit, decaying engagement, grade, level, qualification, reasons →
lead.scored; outcomes (lead.progressed, lead.recycled) → recycling and learning."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadCaptured, LeadErased, LeadProgressed, LeadRecycled
from leadkit.policy_api import policy_router
from leadkit.service import Service, create_service_app
from scoring.api.insights import router as insights_router
from scoring.api.scores import router
from scoring.domain.model import load_rule_model
from scoring.handlers import forget_lead_facts, record_outcomes, score_captured_leads
from scoring.parts import scoring_parts
from scoring.settings import ScoringSettings
from scoring.workers import run_decay_worker, run_fit_worker, run_rescore_worker


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    # Read at start-up so a broken default model stops the service instead of mis-scoring leads.
    load_rule_model(settings.rules_file.read_text())
    scoring = scoring_parts(settings.rules_file, longest_decay_rest=settings.decay_poll_seconds)
    outcomes = partial(record_outcomes, scoring=scoring)  # one handler for both: one batch per poll
    service = Service(
        name="scoring",
        settings=settings,
        extras=scoring,
        handlers={
            LeadCaptured.topic: partial(score_captured_leads, scoring=scoring),
            LeadProgressed.topic: outcomes,
            LeadRecycled.topic: outcomes,
            LeadErased.topic: forget_lead_facts,
        },
        workers=[
            ("decay", partial(run_decay_worker, scoring=scoring)),
            (
                "rescore",
                partial(
                    run_rescore_worker,
                    scoring=scoring,
                    poll_seconds=settings.rescore_poll_seconds,
                    batch=settings.rescore_batch_size,
                ),
            ),
            (
                "fit",
                partial(
                    run_fit_worker,
                    scoring=scoring,
                    interval=settings.learning_interval_seconds,
                    min_leads=settings.learning_min_leads,
                    min_conversions=settings.learning_min_conversions,
                ),
            ),
        ],
    )
    return create_service_app(
        service,
        title="leadloop scoring",
        description="Scores leads against the agreed, versioned model; decays engagement; explains "
        "every score; learns from sales' outcomes.",
        routers=[
            router,
            insights_router,
            policy_router(scoring.models, prefix="/v1/scoring/models", noun="model", tag="scoring models"),
        ],
    )
