"""scoring: lead.captured → fit and engagement score, grade, reasons → lead.scored."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadCaptured, LeadErased
from leadkit.policies import PolicyStore
from leadkit.policy_api import policy_router
from leadkit.service import Service, create_service_app
from scoring.api import router
from scoring.domain.model import load_rule_model, rule_models
from scoring.handlers import forget_lead_facts, score_captured_leads
from scoring.settings import ScoringSettings


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    # Read at start-up so a broken default model stops the service instead of mis-scoring leads.
    load_rule_model(settings.rules_file.read_text())
    models = PolicyStore(rule_models(settings.rules_file))

    service = Service(
        name="scoring",
        settings=settings,
        extras={"rule_models": models},
        handlers={
            LeadCaptured.topic: partial(score_captured_leads, models=models),
            LeadErased.topic: forget_lead_facts,
        },
    )
    return create_service_app(
        service,
        title="leadloop scoring",
        description="Scores leads against the agreed rule model and explains every score.",
        routers=[
            router,
            policy_router(models, prefix="/v1/scoring/models", noun="model", tag="scoring models"),
        ],
    )
