"""`leadloop`: the one command of every installed service. Each service mounts its own command
groups through the `leadloop.cli` entry points (`leadloop scoring models …`, `leadloop keys …`),
and its imports under `leadloop import` through `leadloop.import` (one command function each), so
the kit knows no service and a service knows no other."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from leadkit import console_keys_cli


def leadloop() -> typer.Typer:
    root = typer.Typer(
        help="leadloop: the operator commands of every installed service", no_args_is_help=True
    )
    imports = typer.Typer(help="Import history through the same validation and dedupe", no_args_is_help=True)
    for entry in sorted(entry_points(group="leadloop.cli"), key=lambda e: e.name):
        root.add_typer(entry.load(), name=entry.name)
    for entry in sorted(entry_points(group="leadloop.import"), key=lambda e: e.name):
        imports.command(entry.name)(entry.load())
    root.add_typer(imports, name="import")
    root.add_typer(console_keys_cli.app, name="console-keys")
    return root


app = leadloop()
