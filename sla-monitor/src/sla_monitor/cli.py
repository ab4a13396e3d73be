"""`leadloop sla …`: SLA policies, compliance. (`leadloop import outcomes` lives in outcomes_cli.)"""

from __future__ import annotations

import typer

from leadkit.policy_cli import policy_cli
from sla_monitor.parts import sla_parts
from sla_monitor.settings import SlaMonitorSettings

app = typer.Typer(help="leadloop sla-monitor: SLA policies", no_args_is_help=True)
app.add_typer(
    policy_cli(
        sla_parts(SlaMonitorSettings().policy_file).policies,
        database_url=lambda: SlaMonitorSettings().database_url,
        noun="policy",
    ),
    name="policies",
)
