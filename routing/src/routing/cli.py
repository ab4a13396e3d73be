"""`leadloop routing …`: the roster, accounts, routing policies and fairness from a shell
(mounted by the `leadloop` CLI). Writes go to routing's database with the same checks as the API."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from leadkit.consumer import utc_now
from leadkit.db import Connection, create_pool
from leadkit.policy_cli import policy_cli
from routing.api.accounts import AccountWrite
from routing.api.roster import RepWrite
from routing.db.roster import ledger_counts, load_roster, save_reps, upsert_accounts, upsert_teams
from routing.domain.accounts import Account, account_problems
from routing.domain.fairness import fairness
from routing.domain.roster import Team
from routing.parts import routing_parts
from routing.settings import RoutingSettings

app = typer.Typer(help="routing: reps, accounts, routing policies, fairness", no_args_is_help=True)
reps_app = typer.Typer(help="The reps who take leads", no_args_is_help=True)
accounts_app = typer.Typer(help="Accounts and their owners", no_args_is_help=True)
app.add_typer(reps_app, name="reps")
app.add_typer(accounts_app, name="accounts")
console = Console()
R = TypeVar("R")


def _run(work: Callable[[Connection], Awaitable[R]]) -> R:
    settings = RoutingSettings()

    async def main() -> R:
        pool = await create_pool(settings.database_url, size=1)
        try:
            async with pool.acquire() as conn:
                await routing_parts(settings).ensure_roster(conn)
                return await work(conn)
        finally:
            await pool.close()

    return asyncio.run(main())


def _rows(file: Path) -> list[tuple[int, dict[str, str]]]:
    """Each data row with its line number; blank cells are absent values."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return [
            (reader.line_num, {k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()})
            for row in reader
        ]


def _errors(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors())


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").replace(",", ";").split(";") if part.strip()]


def _report(refused: list[tuple[int, str]], written: int, noun: str) -> None:
    console.print(f"{written} {noun} written")
    if refused:
        table = Table("line", "why refused")
        for line, why in refused:
            table.add_row(str(line), why)
        console.print(table)
        raise typer.Exit(1)


@reps_app.command("import")
def import_reps(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
) -> None:
    """Load reps from FILE (columns: id, name, email, team, weight, daily_cap, weekly_cap, max_open,
    skills as `language:de;product:cloud`, timezone, hours as `mon-fri 09:00-17:00`, active).
    Teams it names that do not exist yet are created. Valid rows are written; refused rows are
    listed with their line and why, and the command exits 1."""
    refused: list[tuple[int, str]] = []
    valid: list[tuple[Any, str]] = []
    for line, row in _rows(file):
        rep_id = row.pop("id", "")
        if not rep_id:
            refused.append((line, "id: missing"))
            continue
        if "skills" in row:
            row["skills"] = _split(row["skills"])  # type: ignore[assignment]
        if "active" in row:
            row["active"] = row["active"].lower() in ("1", "true", "yes", "on")  # type: ignore[assignment]
        try:
            body = RepWrite.model_validate(row)
        except ValidationError as error:
            refused.append((line, f"{rep_id}: {_errors(error)}"))
            continue
        valid.append((body.rep(rep_id), body.hours))

    async def write(conn: Connection) -> int:
        async with conn.transaction():
            roster = await load_roster(conn)
            missing = sorted({rep.team for rep, _ in valid} - set(roster.teams))
            await upsert_teams(conn, [Team(team, team) for team in missing], utc_now())
            await save_reps(conn, valid, utc_now())
        if missing:
            console.print(f"created teams {', '.join(missing)} (name them with PUT /v1/teams/{{id}})")
        return len(valid)

    _report(refused, _run(write) if valid else 0, "reps")


@accounts_app.command("import")
def import_accounts(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
) -> None:
    """Load accounts from FILE (columns: id, name, owner as a rep id, domains as `acme.com;acme.de`).
    Valid rows are written; refused rows are listed with their line and why, and it exits 1."""
    refused: list[tuple[int, str]] = []
    valid: list[tuple[int, AccountWrite]] = []
    for line, row in _rows(file):
        row_domains = _split(row.pop("domains", ""))
        try:
            valid.append((line, AccountWrite.model_validate({**row, "domains": row_domains})))
        except ValidationError as error:
            refused.append((line, _errors(error)))

    async def write(conn: Connection) -> int:
        roster = await load_roster(conn)
        problems = account_problems([(a.id, a.owner, a.domains) for _, a in valid], roster.reps)
        wrong = {index for index, _, _ in problems}
        refused.extend((valid[index][0], f"{part}: {message}") for index, part, message in problems)
        accounts = [a for index, (_, a) in enumerate(valid) if index not in wrong]
        async with conn.transaction():
            await upsert_accounts(
                conn, [Account(a.id, a.name, a.owner, tuple(a.domains)) for a in accounts], utc_now()
            )
        return len(accounts)

    _report(refused, _run(write) if valid else 0, "accounts")


@app.command("fairness")
def show_fairness(
    team: Annotated[str, typer.Option(help="the team's id")],
    since: Annotated[
        datetime | None, typer.Option("--from", help="window start (ISO 8601, UTC if no zone)")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="window end")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per rep: assignments, share against weight, skips by reason, credits, reassignments."""

    def aware(value: datetime | None) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=utc_now().tzinfo)

    async def read(conn: Connection) -> tuple[Any, Any]:
        return await load_roster(conn), await ledger_counts(conn, team, aware(since), aware(until))

    roster, rows = _run(read)
    if team not in roster.teams:
        console.print(f"[red]no team {team!r}[/red]")
        raise typer.Exit(1)
    weights = {rep.id: rep.weight for rep in roster.members(team) if rep.active}
    report = fairness(rows, weights)
    if as_json:
        print(json.dumps([vars(rep) for rep in report], indent=2))  # noqa: T201 - the report is the output
        return
    table = Table("rep", "weight share", "share", "drift", "assigned", "skips", "credits", "away", "to")
    for rep in report:
        drift = f"{rep.drift:+.1%}"
        table.add_row(
            rep.rep_id,
            f"{rep.weight_share:.1%}",
            f"{rep.share:.1%}",
            f"[red]{drift}[/red]" if rep.flagged else drift,
            str(rep.assignments),
            ", ".join(f"{k} {v}" for k, v in sorted(rep.skips.items())),
            str(rep.credits),
            str(rep.reassigned_away),
            str(rep.reassigned_to),
        )
    console.print(table)


app.add_typer(
    policy_cli(
        routing_parts(RoutingSettings()).policies,
        database_url=lambda: RoutingSettings().database_url,
        noun="policy",
    ),
    name="policies",
)
