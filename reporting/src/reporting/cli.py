"""`leadloop reporting …`: campaign spend from a CSV file; monthly targets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from leadkit.db import create_pool
from reporting.api.roi import entries_from_csv, save_spend
from reporting.api.targets import TargetWrite
from reporting.db.targets import save_target
from reporting.domain.targets import parse_month
from reporting.settings import ReportingSettings

app = typer.Typer(help="reporting: campaign spend, monthly targets", no_args_is_help=True)
spend_app = typer.Typer(help="Campaign spend per period", no_args_is_help=True)
app.add_typer(spend_app, name="spend")


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

    async def save() -> int:
        pool = await create_pool(ReportingSettings().database_url, size=1)
        try:
            async with pool.acquire() as conn:
                return await save_spend(conn, entries)
        finally:
            await pool.close()

    typer.echo(f"saved {asyncio.run(save())} spend entries")


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

    async def save() -> None:
        pool = await create_pool(ReportingSettings().database_url, size=1)
        try:
            async with pool.acquire() as conn:
                await save_target(conn, first, values, at=datetime.now(UTC), by="leadloop reporting targets")
        finally:
            await pool.close()

    asyncio.run(save())
    typer.echo(f"targets saved for {month}")
