"""`/v1/subscriptions`: where sales tools get lead events — subscribe, list, show, pause, resume,
delete, rotate the secret, send a test, see the deliveries, resend one, skip one, replay a window.
Needs the `admin` scope (a system key, or a tool key made with `leadloop sla keys create --admin`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status

from leadkit.bounds import Instant
from leadkit.service import Deps, get_deps
from sla_monitor.delivery.api.models import (
    DeliveryRead,
    Replayed,
    RotateSecret,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    TestSent,
)
from sla_monitor.delivery.db import deliveries, subscriptions
from sla_monitor.delivery.db.subscriptions import StoredSubscription
from sla_monitor.delivery.domain import hubspot
from sla_monitor.delivery.domain.kinds import subscription_problems
from sla_monitor.delivery.domain.sealing import SealingKeyProblem
from sla_monitor.delivery.domain.targets import RefusedTarget
from sla_monitor.delivery.sending import Sending
from sla_monitor.delivery.subscribing import (
    NewSubscription,
    UnknownReps,
    create_subscription,
    rotate,
    send_test,
)
from sla_monitor.keys import require_admin
from sla_monitor.settings import SlaMonitorSettings

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], dependencies=[Depends(require_admin)])
DepsParam = Annotated[Deps, Depends(get_deps)]
# a delivery's id is a bigint: past it is a 422 naming the path, not a database error
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The delivery's id")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such subscription"}}


def sending_of(request: Request, deps: Deps) -> Sending:
    """One sender per app (its HTTP client and the sealing key), made at first use."""
    found: Sending | None = getattr(request.app.state, "delivery_sending", None)
    if found is None:
        settings = deps.settings
        assert isinstance(settings, SlaMonitorSettings)
        try:
            found = Sending.of(settings)
        except SealingKeyProblem as problem:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"deliveries are off: SLA_MONITOR_DELIVERY_SEALING_KEY is not set right ({problem})",
            ) from None
        request.app.state.delivery_sending = found
    return found


def read(stored: StoredSubscription) -> SubscriptionRead:
    s = stored.subscription
    return SubscriptionRead(
        id=s.id,
        kind=s.kind,
        url=s.url,
        event_types=sorted(s.event_types),
        filters={key: list(values) for key, values in s.filters.items()},
        description=s.description,
        paused=s.paused,
        disabled_at=s.disabled_at,
        disabled_reason=s.disabled_reason,
        failing_since=stored.failing_since,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )


async def _found(deps: Deps, subscription_id: UUID) -> StoredSubscription:
    async with deps.pool.acquire() as conn:
        stored = await subscriptions.subscription(conn, subscription_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {subscription_id}")
    return stored


@router.post(
    "",
    status_code=201,
    response_model=SubscriptionCreated,
    summary="Subscribe an endpoint (or Slack) to lead events; the signing secret is shown this once",
    responses={422: {"description": "A wrong field, named; a URL whose host is not a public address"}},
)
async def subscribe(body: SubscriptionCreate, request: Request, deps: DepsParam) -> SubscriptionCreated:
    problems = kind_problems(body)
    if problems:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            [{"loc": ["body", *loc], "msg": msg, "type": "value_error"} for loc, msg in problems],
        )
    sending = sending_of(request, deps)
    new = new_subscription(body)
    try:
        async with deps.pool.acquire() as conn:
            stored, secret = await create_subscription(conn, sending, new, deps.clock())
    except UnknownReps as unknown:
        named = [
            {"loc": ["body", *loc], "msg": msg, "type": "value_error"} for loc, msg in unknown.problems()
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, named) from None
    except RefusedTarget as refused:
        problem = [{"loc": ["body", "url"], "msg": str(refused), "type": "value_error"}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem) from None
    return SubscriptionCreated(**read(stored).model_dump(), secret=secret)


@router.get("", response_model=list[SubscriptionRead], summary="Every subscription (never a secret)")
async def list_subscriptions(deps: DepsParam) -> list[SubscriptionRead]:
    async with deps.pool.acquire() as conn:
        return [read(stored) for stored in await subscriptions.all_subscriptions(conn)]


@router.get(
    "/{subscription_id}", response_model=SubscriptionRead, responses=NOT_FOUND, summary="One subscription"
)
async def show(subscription_id: UUID, deps: DepsParam) -> SubscriptionRead:
    return read(await _found(deps, subscription_id))


@router.post(
    "/{subscription_id}/pause",
    response_model=SubscriptionRead,
    responses=NOT_FOUND,
    summary="Stop sending; events are kept and go out in order on resume",
)
async def pause(subscription_id: UUID, deps: DepsParam) -> SubscriptionRead:
    async with deps.pool.acquire() as conn:
        await subscriptions.set_paused(conn, subscription_id, True, deps.clock())
    return read(await _found(deps, subscription_id))


@router.post(
    "/{subscription_id}/resume",
    response_model=SubscriptionRead,
    responses=NOT_FOUND,
    summary="Send again (a disabled subscription too): the kept events first, in order",
)
async def resume(subscription_id: UUID, deps: DepsParam) -> SubscriptionRead:
    async with deps.pool.acquire() as conn:
        await subscriptions.set_paused(conn, subscription_id, False, deps.clock())
    return read(await _found(deps, subscription_id))


@router.delete(
    "/{subscription_id}", status_code=204, responses=NOT_FOUND, summary="Unsubscribe, with its deliveries"
)
async def delete(subscription_id: UUID, deps: DepsParam) -> None:
    async with deps.pool.acquire() as conn:
        if not await subscriptions.delete_subscription(conn, subscription_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {subscription_id}")


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretRotated,
    responses=NOT_FOUND,
    summary="A new signing secret (shown once); the old one signs beside it for the grace period",
)
async def rotate_secret(
    subscription_id: UUID, request: Request, deps: DepsParam, body: RotateSecret | None = None
) -> SecretRotated:
    grace = timedelta(hours=(body or RotateSecret()).grace_hours)
    now = deps.clock()
    async with deps.pool.acquire() as conn:
        secret = await rotate(conn, sending_of(request, deps).sealer, subscription_id, grace=grace, now=now)
    if secret is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {subscription_id}")
    return SecretRotated(id=subscription_id, secret=secret, previous_valid_until=now + grace)


@router.post(
    "/{subscription_id}/test",
    response_model=TestSent,
    responses=NOT_FOUND,
    summary="Send a signed `leadloop.test` event now and say what the endpoint answered",
)
async def test(subscription_id: UUID, request: Request, deps: DepsParam) -> TestSent:
    stored = await _found(deps, subscription_id)
    async with deps.pool.acquire() as conn:
        result = await send_test(conn, sending_of(request, deps), stored, deps.clock())
    return TestSent(status=result.answer.status, latency_ms=result.latency_ms, error=result.answer.error)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=list[DeliveryRead],
    responses=NOT_FOUND,
    summary="The latest deliveries: status, attempts, answer, latency, last error, next attempt",
)
async def list_deliveries(
    subscription_id: UUID,
    deps: DepsParam,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(pending|delivered|failed|skipped)$")
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="Deliveries older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRead]:
    await _found(deps, subscription_id)
    async with deps.pool.acquire() as conn:
        found = await deliveries.deliveries_of(
            conn, subscription_id, status=status_, before=before, limit=limit
        )
    return [DeliveryRead.model_validate(view, from_attributes=True) for view in found]


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/resend",
    status_code=202,
    responses=NOT_FOUND,
    summary="Send one delivery again, with its webhook-id, on a fresh schedule",
)
async def resend(subscription_id: UUID, delivery_id: DeliveryId, deps: DepsParam) -> dict[str, int]:
    async with deps.pool.acquire() as conn:
        if not await deliveries.resend(conn, subscription_id, delivery_id, deps.clock()):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no delivery {delivery_id} to resend")
    return {"queued": 1}


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/skip",
    status_code=202,
    responses=NOT_FOUND,
    summary="Give up on a parked or pending delivery, so the lead's later events go out",
)
async def skip(subscription_id: UUID, delivery_id: DeliveryId, deps: DepsParam) -> dict[str, int]:
    async with deps.pool.acquire() as conn:
        if not await deliveries.skip(conn, subscription_id, delivery_id, "by an operator"):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pending or parked delivery {delivery_id}")
    return {"skipped": 1}


@router.post(
    "/{subscription_id}/replay",
    response_model=Replayed,
    responses=NOT_FOUND,
    summary="Send every delivery of events in a window again, with the same webhook-ids, in order",
)
async def replay(
    subscription_id: UUID,
    deps: DepsParam,
    start: Annotated[Instant, Query(alias="from", description="Events that happened from (inclusive)")],
    to: Annotated[Instant, Query(description="Events that happened before (exclusive)")],
) -> Replayed:
    if start >= to:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "`from` must be before `to`")
    await _found(deps, subscription_id)
    async with deps.pool.acquire() as conn:
        queued = await deliveries.replay(conn, subscription_id, start, to, deps.clock())
    return Replayed(queued=queued)


def kind_problems(body: SubscriptionCreate) -> list[tuple[tuple[str | int, ...], str]]:
    """What a subscription of its kind lacks or must not have, by field."""
    return subscription_problems(
        kind=body.kind,
        url=body.url,
        event_types=list(body.event_types),
        token=body.token,
        client_id=body.client_id,
        client_secret=body.client_secret,
        owner_map=body.owner_map,
    )


def new_subscription(body: SubscriptionCreate) -> NewSubscription:
    credentials = {
        name: value
        for name, value in (
            ("token", body.token),
            ("client_id", body.client_id),
            ("client_secret", body.client_secret),
        )
        if value
    }
    url = body.url or (hubspot.DEFAULT_URL if body.kind == "hubspot" else "")
    return NewSubscription(
        body.kind, url, list(body.event_types), body.filters, body.description, credentials, body.owner_map
    )
