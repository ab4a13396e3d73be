"""`leadloop reporting …`: campaign spend from a CSV file; monthly targets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from leadkit.db import Connection
from leadkit.operator_db import on_connection
from reporting.api.roi import entries_from_csv, save_spend
from reporting.api.targets import TargetWrite
from reporting.db.targets import save_target
from reporting.domain.targets import parse_month
from reporting.settings import ReportingSettings

T = TypeVar("T")
app = typer.Typer(help="reporting: campaign spend, monthly targets", no_args_is_help=True)
spend_app = typer.Typer(help="Campaign spend per period", no_args_is_help=True)
app.add_typer(spend_app, name="spend")


def _on_database(work: Callable[[Connection], Coroutine[Any, Any, T]]) -> T:
    """Run `work` on one connection of reporting's database (REPORTING_DATABASE_URL)."""
    return asyncio.run(on_connection(ReportingSettings().database_url, work))


@spend_app.command("import")
def import_spend(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="from,to,channel,source,campaign,amount,currency"),
    ],
) -> None:
    """Save the spend in FILE (a header row; a row again for the same period and keys replaces it)."""
    try:
        entries = entries_from_csv(file.read_text(encoding="utf-8-sig"))
    except ValueError as error:
        typer.echo(f"not imported: {error}", err=True)
        raise typer.Exit(1) from None

    saved = _on_database(lambda conn: save_spend(conn, entries))
    typer.echo(f"saved {saved} spend entries")


targets_app = typer.Typer(help="Monthly targets the overview measures against", no_args_is_help=True)
app.add_typer(targets_app, name="targets")


@targets_app.command("set")
def set_target(
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    leads: Annotated[int | None, typer.Option(min=0, help="leads captured")] = None,
    mqls: Annotated[int | None, typer.Option(min=0)] = None,
    sqls: Annotated[int | None, typer.Option(min=0)] = None,
    won: Annotated[int | None, typer.Option(min=0, help="deals won")] = None,
    revenue: Annotated[str | None, typer.Option(help="revenue won, e.g. 250000.00")] = None,
) -> None:
    """Save a month's targets, replacing what the month had (a measure left out has none)."""
    try:
        first = parse_month(month)
        values = TargetWrite(leads=leads, mqls=mqls, sqls=sqls, won=won, revenue=revenue).model_dump()
    except ValueError as error:
        typer.echo(f"not saved: {error}", err=True)
        raise typer.Exit(1) from None

    _on_database(lambda conn: save_target(conn, first, values, at=datetime.now(UTC), by="leadloop CLI"))
    typer.echo(f"targets saved for {month}")
