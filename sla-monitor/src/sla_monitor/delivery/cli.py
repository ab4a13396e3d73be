"""`leadloop subscriptions …`: the subscriptions API from a shell, on sla-monitor's own database
(no running service, no API key): create, list, show, pause, resume, delete, rotate, deliveries,
resend, skip, replay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Column, Table

from leadkit.db import Connection, create_pool
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.domain import hubspot
from sla_monitor.delivery.domain.kinds import subscription_problems
from sla_monitor.delivery.domain.sealing import SealingKeyProblem
from sla_monitor.delivery.domain.subscriptions import EVENT_TYPES, FILTER_KEYS, KINDS, filter_problems
from sla_monitor.delivery.domain.targets import RefusedTarget
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import (
    NewSubscription,
    UnknownReps,
    create_subscription,
    rotate,
    send_test,
)
from sla_monitor.settings import SlaMonitorSettings

app = typer.Typer(
    help="Where sales tools get lead events: signed webhooks, Slack, HubSpot, Salesforce",
    no_args_is_help=True,
)
console = Console()
T = TypeVar("T")


def _settings() -> SlaMonitorSettings:
    """The environment's settings, and `.env` where the environment lacks one: the sealing key
    `make up` wrote there is the running sla-monitor's."""
    return SlaMonitorSettings(_env_file=".env")


def _run(work: Callable[[Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        pool = await create_pool(_settings().database_url, size=1)
        try:
            async with pool.acquire() as conn:
                return await work(conn)
        finally:
            await pool.close()

    return asyncio.run(main())


def _sending() -> Sending:
    try:
        return Sending.of(_settings())
    except SealingKeyProblem as problem:
        console.print(
            f"[red]set SLA_MONITOR_DELIVERY_SEALING_KEY (make up writes one to .env): {problem}[/red]"
        )
        raise typer.Exit(1) from None


def _filters(given: list[str]) -> dict[str, object]:
    found: dict[str, list[str]] = {}
    for item in given:
        key, _, value = item.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    problems = filter_problems(found)
    if problems:
        raise typer.BadParameter("; ".join(f"{k}: {why}" for k, why in problems), param_hint="--filter")
    return dict(found)


@app.command("create")
def create(
    event: Annotated[list[str], typer.Option(help=f"Repeatable: {', '.join(EVENT_TYPES)}")],
    url: Annotated[
        str | None, typer.Option(help="The endpoint; a Slack webhook URL; a Salesforce My Domain URL")
    ] = None,
    kind: Annotated[str, typer.Option(help=", ".join(KINDS))] = "webhook",
    filter_: Annotated[
        list[str] | None, typer.Option("--filter", help=f"Repeatable KEY=VALUE; {', '.join(FILTER_KEYS)}")
    ] = None,
    description: Annotated[str, typer.Option()] = "",
    token: Annotated[str | None, typer.Option(help="hubspot: the private app's token")] = None,
    client_id: Annotated[str | None, typer.Option(help="salesforce: the connected app's client id")] = None,
    client_secret: Annotated[str | None, typer.Option(help="salesforce: its client secret")] = None,
    owner: Annotated[list[str] | None, typer.Option(help="Repeatable REP=CRM-OWNER-ID")] = None,
) -> None:
    """Subscribe; prints the signing secret once."""
    unknown = [e for e in event if e not in EVENT_TYPES]
    if unknown or kind not in KINDS:
        raise typer.BadParameter(f"events are {', '.join(EVENT_TYPES)}; kinds {', '.join(KINDS)}")
    owner_map = dict(item.partition("=")[::2] for item in owner or [])
    problems = subscription_problems(
        kind=kind,
        url=url,
        event_types=event,
        token=token,
        client_id=client_id,
        client_secret=client_secret,
        owner_map=owner_map,
    )
    if problems:
        raise typer.BadParameter("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
    credentials = {
        name: value
        for name, value in (("token", token), ("client_id", client_id), ("client_secret", client_secret))
        if value
    }
    sending = _sending()
    new = NewSubscription(
        kind,
        url or (hubspot.DEFAULT_URL if kind == "hubspot" else ""),
        event,
        _filters(filter_ or []),
        description,
        credentials,
        owner_map,
    )

    async def work(conn: Connection) -> tuple[UUID, str]:
        try:
            stored, secret = await create_subscription(conn, sending, new, datetime.now(UTC))
        finally:
            await sending.close()
        return stored.subscription.id, secret

    try:
        subscription_id, secret = _run(work)
    except RefusedTarget as refused:
        console.print(f"[red]refused: {refused}[/red]")
        raise typer.Exit(1) from None
    except UnknownReps as refused_reps:
        for _, why in refused_reps.problems():
            console.print(f"[red]owner map: {why}[/red]")
        raise typer.Exit(1) from None
    console.print(f"subscription {subscription_id}; its signing secret, shown this once:")
    print(secret)  # noqa: T201 - plain, so scripts can take it


@app.command("list")
def list_() -> None:
    """Every subscription: kind, URL, events, state (never a secret)."""
    table = Table(Column("id", no_wrap=True), "kind", "url", "events", "filters", "state")
    for stored in _run(subscriptions.all_subscriptions):
        s = stored.subscription
        state = (
            "disabled: " + (s.disabled_reason or "") if s.disabled_at else "paused" if s.paused else "active"
        )
        filters = "; ".join(f"{k}={','.join(v)}" for k, v in s.filters.items())
        table.add_row(str(s.id), s.kind, s.url, ", ".join(sorted(s.event_types)), filters, state)
    Console(width=max(console.width, 200)).print(table)


@app.command("pause")
def pause(subscription_id: UUID) -> None:
    """Stop sending; events are kept and go out in order on resume."""
    _state(subscription_id, paused=True)


@app.command("resume")
def resume(subscription_id: UUID) -> None:
    """Send again (a disabled subscription too), the kept events first."""
    _state(subscription_id, paused=False)


def _state(subscription_id: UUID, *, paused: bool) -> None:
    done = _run(lambda conn: subscriptions.set_paused(conn, subscription_id, paused, datetime.now(UTC)))
    if not done:
        console.print(f"[red]no subscription {subscription_id}[/red]")
        raise typer.Exit(1)
    console.print(f"{'paused' if paused else 'resumed'} {subscription_id}")


@app.command("delete")
def delete(subscription_id: UUID) -> None:
    """Unsubscribe, with its deliveries."""
    if not _run(lambda conn: subscriptions.delete_subscription(conn, subscription_id)):
        console.print(f"[red]no subscription {subscription_id}[/red]")
        raise typer.Exit(1)
    console.print(f"deleted {subscription_id}")


@app.command("rotate")
def rotate_secret(
    subscription_id: UUID,
    grace_hours: Annotated[
        float, typer.Option(min=0, max=720, help="The old secret also signs for this long")
    ] = 24,
) -> None:
    """A new signing secret (printed once); the old one signs beside it for the grace period."""
    sealer = _sending().sealer
    secret = _run(
        lambda conn: rotate(
            conn, sealer, subscription_id, grace=timedelta(hours=grace_hours), now=datetime.now(UTC)
        )
    )
    if secret is None:
        console.print(f"[red]no subscription {subscription_id}[/red]")
        raise typer.Exit(1)
    print(secret)  # noqa: T201


@app.command("deliveries")
def list_deliveries(
    subscription_id: UUID,
    status: Annotated[str | None, typer.Option(help="pending, delivered, failed or skipped")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """The latest deliveries: status, attempts, answer, latency, last error, next attempt."""
    found = _run(
        lambda conn: deliveries.deliveries_of(conn, subscription_id, status=status, before=None, limit=limit)
    )
    table = Table(
        "id", "event", Column("webhook-id", no_wrap=True), "status", "attempts", "answer", "ms", "error"
    )
    for d in found:
        table.add_row(
            str(d.id),
            d.event_type,
            str(d.event_id),
            d.status,
            str(d.attempts),
            str(d.last_status or ""),
            str(d.last_latency_ms or ""),
            (d.last_error or "")[:60],
        )
    Console(width=max(console.width, 200)).print(table)


@app.command("resend")
def resend(subscription_id: UUID, delivery_id: int) -> None:
    """Send one delivery again, with its webhook-id."""
    if not _run(lambda conn: deliveries.resend(conn, subscription_id, delivery_id, datetime.now(UTC))):
        console.print(f"[red]no delivery {delivery_id} to resend[/red]")
        raise typer.Exit(1)
    console.print(f"queued {delivery_id}")


@app.command("skip")
def skip(subscription_id: UUID, delivery_id: int) -> None:
    """Give up on a parked delivery, so the lead's later events go out."""
    if not _run(lambda conn: deliveries.skip(conn, subscription_id, delivery_id, "by an operator")):
        console.print(f"[red]no pending or parked delivery {delivery_id}[/red]")
        raise typer.Exit(1)
    console.print(f"skipped {delivery_id}")


@app.command("replay")
def replay(
    subscription_id: UUID,
    start: Annotated[datetime, typer.Option("--from", help="Events from (inclusive), UTC if no offset")],
    to: Annotated[datetime, typer.Option("--to", help="Events before (exclusive)")],
) -> None:
    """Send every delivery of events in a window again, same webhook-ids, in order."""
    start, to = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, to))
    queued = _run(lambda conn: deliveries.replay(conn, subscription_id, start, to, datetime.now(UTC)))
    console.print(f"queued {queued} deliveries again")


@app.command("test")
def test_event(subscription_id: UUID) -> None:
    """Send a signed `leadloop.test` event now and say what the endpoint answered."""
    sending = _sending()

    async def work(conn: Connection) -> tuple[int | None, int, str | None] | None:
        try:
            stored = await subscriptions.subscription(conn, subscription_id)
            if stored is None:
                return None
            result = await send_test(conn, sending, stored, datetime.now(UTC))
        finally:
            await sending.close()
        return result.answer.status, result.latency_ms, result.answer.error

    found = _run(work)
    if found is None:
        console.print(f"[red]no subscription {subscription_id}[/red]")
        raise typer.Exit(1)
    status, latency, error = found
    console.print(f"answered {status} in {latency} ms" + (f": {error}" if error else ""))
    if status is None or not 200 <= status < 300:
        raise typer.Exit(1)


@app.command("listen")
def listen(
    secret: Annotated[str, typer.Option(help="The subscription's whsec_ secret, to verify what arrives")],
    port: Annotated[int, typer.Option(min=1, max=65535)] = 9000,
) -> None:
    """A receiver to try deliveries with: listens on 127.0.0.1, verifies each delivery with the
    official Standard Webhooks verifier and prints it (a forged or stale one is answered 400).
    Subscribing it needs SLA_MONITOR_DELIVERY_ALLOW_HTTP=true and
    SLA_MONITOR_DELIVERY_ALLOWED_NETWORKS=127.0.0.1/32 (refused by default)."""
    import uvicorn
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    verifier = Webhook(secret)

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = verifier.verify(body, dict(request.headers))
        except WebhookVerificationError as refused:
            console.print(f"[red]refused: {refused}[/red]")
            return Response(status_code=400)
        console.print(f"[green]verified[/green] {request.headers['webhook-id']} {event.get('type')}")
        console.print_json(data=event)
        return Response(status_code=204)

    console.print(f"listening on http://127.0.0.1:{port}/ (any path); Ctrl-C stops")
    app_ = Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])
    uvicorn.run(app_, host="127.0.0.1", port=port, log_level="warning")
