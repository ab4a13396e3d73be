"""scoring: lead.captured → fit and engagement score, grade, reasons → lead.scored."""

from functools import partial

from fastapi import FastAPI

from lead_schemas import LeadCaptured, LeadErased
from leadkit.service import Service, create_service_app
from scoring.api import router
from scoring.domain.model import load_rule_model
from scoring.handlers import forget_lead_facts, score_captured_leads
from scoring.settings import ScoringSettings


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    # Read at start-up so a broken rules file stops the service instead of mis-scoring leads.
    model = load_rule_model(settings.rules_file.read_text())

    service = Service(
        name="scoring",
        settings=settings,
        extras={"rule_model": model},
        handlers={
            LeadCaptured.topic: partial(score_captured_leads, model=model),
            LeadErased.topic: forget_lead_facts,
        },
    )
    return create_service_app(
        service,
        title="leadloop scoring",
        description="Scores leads against the agreed rule model and explains every score.",
        routers=[router],
    )
