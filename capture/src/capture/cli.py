"""capture's operator commands, mounted on the kit's `leadloop` (`leadkit.cli`) — API keys, website
forms, held spam, ad platforms' leads (history import: import_cli.py).

leadloop keys create --name "Website" --source website [--scope ingest --scope read …]
leadloop keys list | leadloop keys revoke ll_website_
leadloop forms create demo-request --name "Demo request" --origin https://www.example.com
leadloop import touches history.csv
leadloop spam list | leadloop spam release 42
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar
from uuid import UUID, uuid4

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capture.api.models import LeadCreate
from capture.db.forms import add_form, all_forms, form_by_id
from capture.db.platform_leads import platform_leads_with_status, requeue_failed
from capture.db.spam import held_submissions, lock_held
from capture.db.tables import Form, PlatformLead, SpamSubmission
from capture.domain.spam import HONEYPOT_FIELD
from capture.keys import DEFAULT_SCOPES, create_key, valid_scopes
from capture.merge import Capture, capture_leads
from capture.settings import CaptureSettings
from leadkit.api_keys import AmbiguousKey
from leadkit.db import create_engine, raw_connection, session_factory
from leadkit.key_store import StoredKey, list_keys, revoke_key

keys_app = typer.Typer(help="API keys for POST /v1/leads and /v1/touches", no_args_is_help=True)
forms_app = typer.Typer(help="Website forms that post straight from browsers", no_args_is_help=True)
spam_app = typer.Typer(
    help="Submissions held as spam: audit them, release false positives", no_args_is_help=True
)
platform_app = typer.Typer(
    help="Meta and LinkedIn leads waiting for, or failed at, their fetch", no_args_is_help=True
)
console = Console()
T = TypeVar("T")


def _run(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = create_engine(CaptureSettings().database_url, pool_size=2)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _now() -> datetime:
    return datetime.now(UTC)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who uses the key, e.g. 'Website' or 'Zapier'")],
    source: Annotated[str, typer.Option(help="utm_source for leads posted without one")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="What the key may do, repeatable: ingest (post leads and touches), read (a lead's "
            "personal data), erase (forget a person), admin (all of them). Default: ingest."
        ),
    ] = None,
) -> None:
    try:
        scopes = valid_scopes(scope or DEFAULT_SCOPES)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scope") from None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> str:
        async with sessions.begin() as session:
            _, key = await create_key(
                await raw_connection(session), name=name, source=source, now=_now(), scopes=scopes
            )
        return key

    key = _run(work)
    console.print(
        f"[bold]{key}[/bold]\nScopes: {', '.join(scopes)}. Shown once: only its hash is stored. "
        "Send it as the X-API-Key header."
    )


@keys_app.command("list")
def keys_list() -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[StoredKey]:
        async with sessions() as session:
            return await list_keys(await raw_connection(session))

    table = Table(Column("prefix", no_wrap=True), "name", "source", "scopes", "created", "revoked")
    for key in _run(work):
        table.add_row(
            key.prefix,
            key.name,
            key.source or "",
            ",".join(sorted(key.scopes)),
            f"{key.created_at:%Y-%m-%d}",
            f"{key.revoked_at:%Y-%m-%d}" if key.revoked_at else "",
        )
    Console(width=max(console.width, 160)).print(table)  # whole prefixes and names, even in a pipe


@keys_app.command("revoke")
def keys_revoke(
    prefix_or_id: Annotated[str, typer.Argument(help="The key's prefix (from `list`) or id")],
) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions.begin() as session:
            return await revoke_key(await raw_connection(session), prefix_or_id, now=_now())

    try:
        count = _run(work)
    except AmbiguousKey as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(code=1) from None
    if not count:
        console.print("no such active key")
        raise typer.Exit(code=1)
    console.print(f"revoked {count} key(s); running services stop accepting it within their key cache time")


@forms_app.command("create")
def forms_create(
    form_id: Annotated[str, typer.Argument(help="Short id used in the form's URL, e.g. demo-request")],
    name: Annotated[str, typer.Option(help="A name people recognise")],
    origin: Annotated[
        list[str], typer.Option(help="Allowed origin, e.g. https://www.example.com (repeat)")
    ] = [],  # noqa: B006
    thank_you_url: Annotated[str | None, typer.Option(help="Where browsers go after posting")] = None,
    source: Annotated[str | None, typer.Option(help="utm_source when the page URL has none")] = None,
) -> None:
    public_key = f"pk_{secrets.token_urlsafe(18)}"

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions.begin() as session:
            add_form(
                session,
                Form(
                    id=form_id,
                    name=name,
                    public_key=public_key,
                    thank_you_url=thank_you_url,
                    source=source,
                    allowed_origins=[o.rstrip("/").lower() for o in origin],
                ),
            )

    _run(work)
    url = f"{CaptureSettings().public_url.rstrip('/')}/v1/forms/{form_id}?key={public_key}"
    console.print(f"form [bold]{form_id}[/bold] created; its action URL:\n{url}\n")
    console.print(
        f'<form method="post" action="{url}">\n  <input name="email" type="email" required>\n'
        f'  <input name="first_name">\n  <input name="{HONEYPOT_FIELD}" tabindex="-1" autocomplete="off" '
        f'style="position:absolute;left:-9999px" aria-hidden="true">\n  <button>Send</button>\n</form>',
        markup=False,
    )


@forms_app.command("list")
def forms_list() -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[Form]:
        async with sessions() as session:
            return await all_forms(session)

    table = Table("id", "name", "origins", "thank-you URL")
    for form in _run(work):
        table.add_row(
            form.id, form.name, ", ".join(form.allowed_origins) or "(any)", form.thank_you_url or ""
        )
    console.print(table)


@platform_app.command("list")
def platform_leads_list(
    status: Annotated[str, typer.Option(help="pending, captured, failed or deleted")] = "failed",
) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[PlatformLead]:
        async with sessions() as session:
            return await platform_leads_with_status(session, status)

    table = Table("platform", "lead id", "received", "attempts", "last error")
    for row in _run(work):
        table.add_row(
            row.platform,
            row.external_id,
            f"{row.received_at:%Y-%m-%d %H:%M}",
            str(row.attempts),
            (row.last_error or "")[:80],
        )
    console.print(table)


@platform_app.command("retry")
def platform_leads_retry(
    external_id: Annotated[
        str | None, typer.Argument(help="One platform lead id; all failed ones if omitted")
    ] = None,
) -> None:
    """Put failed fetches back in the queue (after fixing a token, say): the running capture retries them."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> int:
        async with sessions.begin() as session:
            return await requeue_failed(session, external_id, _now())

    console.print(f"{_run(work)} platform lead(s) queued for another fetch")


@spam_app.command("list")
def spam_list(
    reason: Annotated[str | None, typer.Option(help="honeypot or disposable_email")] = None,
    limit: Annotated[int, typer.Option(min=1, help="the newest N")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """What was held as spam, newest first: answered like a success, never emitted."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[SpamSubmission]:
        async with sessions() as session:
            return await held_submissions(session, reason, limit)

    rows = _run(work)
    if as_json:
        for row in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": row.id,
                        "received_at": row.received_at.isoformat(),
                        "via": row.via,
                        "reason": row.reason,
                        "email": row.email,
                        "form_id": row.form_id,
                        "released_lead_id": str(row.released_lead_id) if row.released_lead_id else None,
                    }
                )
            )
        return
    table = Table("id", "received", "via", "reason", "email", "form", "released as")
    for row in rows:
        table.add_row(
            str(row.id),
            f"{row.received_at:%Y-%m-%d %H:%M}",
            row.via,
            row.reason,
            row.email or "",
            row.form_id or "",
            str(row.released_lead_id or ""),
        )
    console.print(table)


@spam_app.command("release")
def spam_release(spam_id: Annotated[int, typer.Argument(help="The id from `leadloop spam list`")]) -> None:
    """A false positive: capture it as the lead it was, at the time it came in. The held submission
    goes through the same validation and dedupe as a live one, and is marked released in the same
    transaction, so releasing twice makes one lead and one event."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, UUID | None]:
        async with sessions.begin() as session:
            held = await lock_held(session, spam_id)
            if held is None:
                return "missing", None
            if held.released_lead_id is not None:
                return "already", held.released_lead_id
            submitted = dict(held.payload)
            if submitted.get("occurred_at") is None:  # it happened when it came in, not now
                submitted["occurred_at"] = held.received_at
            lead = LeadCreate.model_validate(submitted)
            form = await form_by_id(session, held.form_id) if held.form_id else None
            via = held.via if held.via in ("api", "form") else "api"
            (event,) = await capture_leads(
                await raw_connection(session),
                [Capture(lead.to_submission(via=via, default_source=form.source if form else None), uuid4())],
                now=_now(),
                notify=True,  # the running capture's relay publishes it
            )
            held.released_at = _now()
            held.released_lead_id = event.lead_id
            return "released", event.lead_id

    try:
        outcome, lead_id = _run(work)
    except ValidationError as exc:
        console.print(f"not released: the held submission does not validate: {exc}", markup=False)
        raise typer.Exit(code=1) from exc
    if outcome == "missing":
        console.print(f"no held submission {spam_id}")
        raise typer.Exit(code=1)
    if outcome == "already":
        console.print(f"already released as lead {lead_id}")
        return
    console.print(f"released as lead {lead_id}; the running capture publishes its lead.captured")
