"""`leadloop console-keys …`: make, list and revoke console keys. A console key opens all five
services with one role, so the command writes the same row (id, role, the key's SHA-256) to each
service's own database, as each service's own operator commands do (`<SERVICE>_DATABASE_URL`,
else `make up`'s). A create that cannot reach every database makes nothing; a revoke that cannot
reach one says which, and revoking again finishes it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

import asyncpg
import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.exc import DBAPIError

from leadkit import console_keys
from leadkit.api_keys import AmbiguousKey
from leadkit.console_keys import ConsoleKey, NewConsoleKey
from leadkit.console_roles import ROLES, parse_role
from leadkit.operator_db import on_connection, service_database_url

SERVICES = ("capture", "scoring", "routing", "sla-monitor", "reporting")
UNREACHABLE = (DBAPIError, asyncpg.PostgresError, OSError)
app = typer.Typer(
    help="Console keys: one role (viewer, operator, admin) at all five services", no_args_is_help=True
)
console = Console(stderr=True)


def _why(error: BaseException) -> str:
    if isinstance(error, asyncpg.UndefinedTableError):
        return "not migrated yet (make up)"
    return f"unreachable ({type(error).__name__})"


async def _store_everywhere(new: NewConsoleKey) -> dict[str, str]:
    """Store the key at every service; on any failure, take it back where it was stored. Answers
    the failures by service (empty: stored at all five)."""
    stored: list[str] = []
    failed: dict[str, str] = {}
    for service in SERVICES:
        try:
            await on_connection(service_database_url(service), lambda conn: console_keys.store_key(conn, new))
            stored.append(service)
        except UNREACHABLE as error:
            failed[service] = _why(error)
    if failed:
        for service in stored:
            await on_connection(
                service_database_url(service), lambda conn: console_keys.forget_key(conn, new.stored.id)
            )
    return failed


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="who holds the key, e.g. maria-marketing-ops")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")] = "viewer",
    personal_data: Annotated[
        bool, typer.Option(help="may also read personal data (emails, phones, names) unmasked")
    ] = False,
) -> None:
    """A console key: shown once on stdout, stored at each service as a hash."""
    try:
        chosen = parse_role(role)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--role") from None
    new = console_keys.new_console_key(
        key_id=uuid4(), name=name, role=chosen, personal_data=personal_data, now=datetime.now(UTC)
    )
    failed = asyncio.run(_store_everywhere(new))
    if failed:
        for service, why in failed.items():
            console.print(f"[red]{service}'s database: {why}[/red]")
        console.print("[red]no key was made[/red]")
        raise typer.Exit(1)
    personal = "with" if personal_data else "without"
    console.print(f"console key {new.stored.id} for {name}: {chosen}, {personal} personal data")
    print(new.key)  # noqa: T201 - plain on stdout, so scripts can take it


async def _keys_of(service: str) -> list[ConsoleKey] | str:
    try:
        return await on_connection(service_database_url(service), console_keys.list_keys)
    except UNREACHABLE as error:
        return _why(error)


@app.command("list")
def list_keys() -> None:
    """Every console key (never the key itself), and at which services it is active."""
    by_service: dict[str, list[ConsoleKey] | str] = {s: asyncio.run(_keys_of(s)) for s in SERVICES}
    keys: dict[Any, ConsoleKey] = {}
    active_at: dict[Any, list[str]] = {}
    for service, found in by_service.items():
        if isinstance(found, str):
            console.print(f"[yellow]{service}'s database: {found}[/yellow]")
            continue
        for key in found:
            keys.setdefault(key.id, key)
            if key.revoked_at is None:
                active_at.setdefault(key.id, []).append(service)
    table = Table(
        "id", "name", "role", "personal data", Column("prefix", no_wrap=True), "created", "active at"
    )
    for key in sorted(keys.values(), key=lambda k: (k.created_at, str(k.id))):
        services = active_at.get(key.id, [])
        table.add_row(
            str(key.id),
            key.name,
            key.role,
            "yes" if key.personal_data else "masked",
            key.prefix,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            "all" if len(services) == len(SERVICES) else ", ".join(services) or "revoked",
        )
    Console(width=max(Console().width, 160)).print(table)


async def _revoke_everywhere(prefix_or_id: str) -> tuple[ConsoleKey | None, int, dict[str, str]]:
    """The key named, at how many services it was still active, and the failures by service."""
    now = datetime.now(UTC)
    found: ConsoleKey | None = None
    revoked = 0
    failed: dict[str, str] = {}
    for service in SERVICES:
        try:

            async def revoke(conn: Any) -> tuple[ConsoleKey | None, bool]:
                named = await console_keys.named_key(conn, prefix_or_id)
                changed = named is not None and await console_keys.revoke_key(conn, named.id, now=now)
                return named, changed

            named, changed = await on_connection(service_database_url(service), revoke)
            found = named or found
            revoked += changed
        except UNREACHABLE as error:
            failed[service] = _why(error)
    return found, revoked, failed


@app.command("revoke")
def revoke(prefix_or_id: str) -> None:
    """Revoke a console key (by id or prefix) at every service: it stops working at once."""
    try:
        found, revoked, failed = asyncio.run(_revoke_everywhere(prefix_or_id))
    except AmbiguousKey as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(1) from None
    for service, why in failed.items():
        console.print(f"[red]{service}'s database: {why}; run the revoke again once it is back[/red]")
    if found is None and not failed:
        console.print(f"[red]no console key {prefix_or_id}[/red]")
        raise typer.Exit(1)
    if found is not None:
        done = "revoked" if revoked else "was already revoked:"
        console.print(f"{done} console key {found.id} ({found.name})")
    if failed:
        raise typer.Exit(1)
