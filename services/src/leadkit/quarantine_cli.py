"""`python -m leadkit.admin quarantine list|retry SERVICE`: the items background workers set aside."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadkit.operator_db import ServiceArgument, against_database, on_connection
from leadkit.quarantine import quarantined, release

quarantine_cli = typer.Typer(
    help="Items background workers set aside after they failed alone (leadkit.quarantine)",
    no_args_is_help=True,
)


@quarantine_cli.command("list")
def quarantine_list_command(
    service: ServiceArgument,
    worker: Annotated[str | None, typer.Option(help="Only this worker's items")] = None,
) -> None:
    """What each worker set aside, with its last error and how often it failed."""
    rows = against_database(service, lambda url: on_connection(url, lambda conn: quarantined(conn, worker)))
    table = Table("worker", "item", "attempts", "first failed", "last failed", "error")
    for row in rows:
        table.add_row(
            row.worker,
            row.item,
            str(row.attempts),
            f"{row.first_failed_at:%Y-%m-%d %H:%M:%S}",
            f"{row.last_failed_at:%Y-%m-%d %H:%M:%S}",
            row.error,
        )
    Console(width=200).print(table)
    typer.echo(f"{len(rows)} quarantined item(s) in {service}")


@quarantine_cli.command("retry")
def quarantine_retry_command(
    service: ServiceArgument,
    items: Annotated[list[str] | None, typer.Argument(help="Items (from `list`)")] = None,
    worker: Annotated[str | None, typer.Option(help="Only this worker's items")] = None,
    all_items: Annotated[bool, typer.Option("--all", help="Every quarantined item")] = False,
) -> None:
    """Hand items back to their worker once the cause is fixed: its next round takes them again
    (an item that fails again is quarantined again)."""
    if not items and not all_items:
        raise typer.BadParameter("name the items, or pass --all")
    chosen = None if all_items else items
    count = against_database(
        service, lambda url: on_connection(url, lambda conn: release(conn, worker, chosen))
    )
    typer.echo(f"{count} item(s) handed back to {service}'s workers")
