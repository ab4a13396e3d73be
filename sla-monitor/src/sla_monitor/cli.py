"""`leadloop sla …`: SLA policies and sales tools' keys. (`leadloop import outcomes`: outcomes_cli.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table

from leadkit import key_store
from leadkit.api_keys import AmbiguousKey
from leadkit.db import Connection, create_pool
from leadkit.policy_cli import policy_cli
from sla_monitor.keys import Scope, create_tool_key
from sla_monitor.parts import sla_parts
from sla_monitor.settings import SlaMonitorSettings

app = typer.Typer(help="leadloop sla-monitor: SLA policies, sales tools' keys", no_args_is_help=True)
keys_app = typer.Typer(help="Sales tools' API keys (scopes progress, admin)", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console()
T = TypeVar("T")


def _run(work: Callable[[Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        pool = await create_pool(SlaMonitorSettings().database_url, size=1)
        try:
            async with pool.acquire() as conn:
                return await work(conn)
        finally:
            await pool.close()

    return asyncio.run(main())


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="the sales tool, e.g. hubspot")],
    admin: Annotated[bool, typer.Option(help="also manage subscriptions (scope admin)")] = False,
) -> None:
    """A key for one sales tool to report progress with (and, with --admin, to manage its
    subscriptions); shown once, stored as a hash."""
    scopes: tuple[Scope, ...] = ("progress", "admin") if admin else ("progress",)
    key_id, key = _run(lambda conn: create_tool_key(conn, name=name, now=datetime.now(UTC), scopes=scopes))
    console.print(f"key {key_id} for {name} (scopes {', '.join(scopes)}):")
    print(key)  # noqa: T201 - plain, so scripts can take it


@keys_app.command("list")
def keys_list() -> None:
    """Every sales tool's key: id, name, prefix, scopes, when made and revoked (never the key)."""
    table = Table("id", "name", Column("prefix", no_wrap=True), "scopes", "created", "revoked")
    for key in _run(key_store.list_keys):
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            ", ".join(sorted(key.scopes)),
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    Console(width=max(console.width, 160)).print(table)  # whole prefixes and names, even in a pipe


@keys_app.command("revoke")
def revoke(prefix_or_id: str) -> None:
    """Revoke a key (by its id or prefix): it stops working at once."""
    try:
        revoked = _run(lambda conn: key_store.revoke_key(conn, prefix_or_id, now=datetime.now(UTC)))
    except AmbiguousKey as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(code=1) from None
    if not revoked:
        console.print(f"[red]no active key {prefix_or_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {prefix_or_id}")


app.add_typer(
    policy_cli(
        sla_parts(SlaMonitorSettings().policy_file).policies,
        database_url=lambda: SlaMonitorSettings().database_url,
        noun="policy",
    ),
    name="policies",
)
