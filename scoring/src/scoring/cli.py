"""`leadloop scoring …`: the scoring model's versions from a shell (mounted by the `leadloop` CLI)."""

import typer

from leadkit.policies import PolicyStore
from leadkit.policy_cli import policy_cli
from scoring.domain.model import rule_models
from scoring.settings import ScoringSettings

app = typer.Typer(help="scoring: the lead scoring model", no_args_is_help=True)
app.add_typer(
    policy_cli(
        PolicyStore(rule_models(ScoringSettings().rules_file)),
        database_url=lambda: ScoringSettings().database_url,
        noun="model",
    ),
    name="models",
)
