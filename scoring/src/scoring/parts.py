"""Scoring's parts as the service and the CLI both build them."""

from __future__ import annotations

from pathlib import Path

from leadkit.next_due import NextDue
from leadkit.policies import PolicyStore
from scoring.db.rescore_jobs import start_rescore
from scoring.domain.model import rule_models
from scoring.handlers import Scoring
from scoring.predictors import Predictors


def scoring_parts(default_model: Path, *, longest_decay_rest: float = 30.0) -> Scoring:
    """Activating a model starts a re-score in the activation's own transaction."""
    return Scoring(
        models=PolicyStore(rule_models(default_model), on_activated=start_rescore),
        predictors=Predictors(),
        decay_due=NextDue(longest=longest_decay_rest),
    )
