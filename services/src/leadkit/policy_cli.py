"""The shell side of versioned policies: `leadloop <service> <noun>s push|list|activate|rollback|…`.

The commands work on the service's own database (its `*_DATABASE_URL`) through the same store the
API uses, so they need no running service and no API key; the services follow an activation at
their next event.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from leadkit.db import Connection, create_pool
from leadkit.policies import PolicyStore
from leadkit.policy_document import Format, InvalidPolicy, NothingToRollBack, UnknownVersion

R = TypeVar("R")
# who the activation log says did it, from a shell: the operating system's user name
CLI = f"leadloop CLI ({getpass.getuser()})"
console = Console()


def _format_of(path: Path) -> Format:
    return "json" if path.suffix.lower() == ".json" else "toml"


def _fail(error: Exception) -> NoReturn:
    console.print(f"[red]{error}[/red]")
    raise typer.Exit(1) from error


def _fail_on_problems(error: InvalidPolicy) -> NoReturn:
    console.print(f"[red]refused: {len(error.problems)} wrong part(s)[/red]")
    for problem in error.problems:
        console.print(f"  {problem.path}: {problem.message}")
    raise typer.Exit(1)


def policy_cli(
    store: PolicyStore[Any],
    *,
    database_url: Callable[[], str],
    noun: str,
    follow_activation: Callable[[Connection, int], Awaitable[None]] | None = None,
) -> typer.Typer:
    """`follow_activation` runs after an activation or rollback committed (e.g. to show the
    re-score it started, with a progress bar)."""
    app = typer.Typer(
        help=f"{noun.capitalize()} versions: draft, validate, activate, roll back", no_args_is_help=True
    )

    def run(work: Callable[[Connection], Awaitable[R]]) -> R:
        async def main() -> R:
            pool = await create_pool(database_url(), size=1)
            try:
                async with pool.acquire() as conn:
                    await store.ensure_default(conn)
                    return await work(conn)
            finally:
                await pool.close()

        return asyncio.run(main())

    @app.command()
    def push(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="TOML or .json document")],
        note: Annotated[str | None, typer.Option(help="why this version")] = None,
        activate: Annotated[bool, typer.Option(help="activate it once saved")] = False,
    ) -> None:
        """Save FILE as a new draft version (validated first)."""
        try:
            saved = run(lambda conn: store.draft(conn, file.read_text(), _format_of(file), note, by=CLI))
        except InvalidPolicy as error:
            _fail_on_problems(error)
        console.print(f"saved {noun} version {saved.version} (draft)")
        if activate:
            try:
                run(lambda conn: store.activate(conn, saved.version, note, by=CLI))
            except InvalidPolicy as error:
                _fail_on_problems(error)
            console.print(f"{noun} version {saved.version} is active")
            follow(saved.version)

    def follow(version: int) -> None:
        if follow_activation is not None:
            run(lambda conn: follow_activation(conn, version))

    @app.command()
    def validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
        """Check FILE without saving it."""
        try:
            run(lambda conn: store.checked(conn, file.read_text(), _format_of(file)))
        except InvalidPolicy as error:
            _fail_on_problems(error)
        console.print(f"{file} is a valid {noun}")

    @app.command("list")
    def list_versions() -> None:
        """Every version and which one is active."""
        table = Table("version", "active", "created", "note")
        for version in run(store.versions):
            table.add_row(
                str(version.version),
                "●" if version.active else "",
                version.created_at.isoformat(timespec="seconds"),
                version.note or "",
            )
        console.print(table)

    @app.command()
    def show(version: int) -> None:
        """Print one version's document as JSON."""
        try:
            found = run(lambda conn: store.version(conn, version))
        except UnknownVersion as error:
            _fail(error)
        print(json.dumps(found.document, indent=2))  # noqa: T201 - the document is the output

    @app.command()
    def activate(version: int, note: Annotated[str | None, typer.Option()] = None) -> None:
        """Make VERSION the active one."""
        try:
            run(lambda conn: store.activate(conn, version, note, by=CLI))
        except UnknownVersion as error:
            _fail(error)
        except InvalidPolicy as error:
            _fail_on_problems(error)
        console.print(f"{noun} version {version} is active")
        follow(version)

    @app.command()
    def rollback(note: Annotated[str | None, typer.Option()] = None) -> None:
        """Activate again the version that was active before the current one."""
        try:
            activation = run(lambda conn: store.rollback(conn, note, by=CLI))
        except NothingToRollBack as error:
            _fail(error)
        except InvalidPolicy as error:
            _fail_on_problems(error)
        console.print(f"rolled back: {noun} version {activation.version} is active")
        follow(activation.version)

    return app
