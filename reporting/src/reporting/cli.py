"""`leadloop reporting …`: campaign spend from a CSV file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from leadkit.db import create_pool
from reporting.api.roi import entries_from_csv, save_spend
from reporting.settings import ReportingSettings

app = typer.Typer(help="reporting: campaign spend", no_args_is_help=True)
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
