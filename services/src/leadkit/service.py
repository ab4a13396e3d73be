"""A leadloop service's runtime: engine, relay, consumers and workers, started in the lifespan.

Nothing is built at import time; `create_service_app` wires it into a FastAPI app whose
lifespan starts everything and, on shutdown, lets consumers finish their batch first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from leadkit.consumer import Clock, ConsumerLoop, ConsumerOptions, Handler, utc_now
from leadkit.cors import ConsoleCors
from leadkit.db import Connection, Pool, create_engine, create_pool, raw_connection, session_factory
from leadkit.edge import guard_the_edge
from leadkit.fetch_pace import streaming_fetch
from leadkit.health import health_router
from leadkit.logging import configure_logging
from leadkit.messaging import Outbox, outboxed_transaction, write_outbox
from leadkit.redact import Redactor, secrets_of
from leadkit.relay import OutboxRelay
from leadkit.settings import ServiceSettings
from leadkit.supervise import supervise
from leadkit.topics import TopicNames
from leadkit.unavailable import answer_503_while_the_database_is_away

log = structlog.get_logger(__name__)


@dataclass
class Deps:
    """Built in the lifespan and handed to routes (via `get_deps`) and workers."""

    service: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    pool: Pool  # asyncpg, for the hot paths
    relay: OutboxRelay
    consumers: list[ConsumerLoop]
    clock: Clock
    redact: Redactor
    # the service's own typed parts (its settings-built collaborators), read through `parts_of`
    extras: object = None
    # more of /readyz: a background part's name and whether it is ready (e.g. a worker process up)
    readiness: dict[str, Callable[[], bool]] = field(default_factory=dict)

    @property
    def notify_relay(self) -> bool:
        """Whether committed outbox rows need a NOTIFY: the active relay is another process's."""
        return not self.relay.active

    def outbox_written(self, *, requests: int = 0) -> None:
        """After a commit that wrote outbox rows: wake this process's relay (when it is active).
        `requests`: the commit held that many single requests' rows (leads posted on their own),
        which may share a pass with the next few (`OutboxRelay.wake`)."""
        self.relay.wake(requests=requests)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[AsyncSession, Outbox]]:
        """A session transaction whose outbox rows are written in one statement before commit."""
        outbox = Outbox()
        async with self.sessions.begin() as session:
            yield session, outbox
            if outbox:
                await write_outbox(await raw_connection(session), outbox.rows, notify=self.notify_relay)
        if outbox:
            self.outbox_written()

    @asynccontextmanager
    async def pooled_transaction(self) -> AsyncIterator[tuple[Connection, Outbox]]:
        """The same on an asyncpg connection from the hot-path pool."""
        async with (
            self.pool.acquire() as connection,
            outboxed_transaction(connection, notify=self.notify_relay) as outbox,
        ):
            yield connection, outbox
        if outbox:
            self.outbox_written()


Worker = Callable[[Deps], Awaitable[None]]
P = TypeVar("P")


def parts_of(deps: Deps, kind: type[P]) -> P:
    """The service's own parts, as the type it built them: `parts_of(deps, CaptureParts)`."""
    if not isinstance(deps.extras, kind):
        raise TypeError(f"this service's parts are {type(deps.extras).__name__}, not {kind.__name__}")
    return deps.extras


async def get_deps(request: Request) -> Deps:
    # async, though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    # a thread hop on every request
    deps: Deps = request.app.state.deps
    return deps


@dataclass
class Service:
    name: str
    settings: ServiceSettings
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    workers: Sequence[tuple[str, Worker]] = ()
    clock: Clock = utc_now
    extras: object = None  # the service's own parts that routes and workers share (one typed value)
    # run once on a pooled connection before the consumers and workers start (a derived table the
    # code's shape no longer matches, say, put right before anything reads or adds to it)
    prepare: Callable[[Connection], Awaitable[object]] | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Deps]:
        common = self.settings.leadloop
        topics = TopicNames(common.topic_prefix)
        redact = Redactor(secrets_of(self.settings))
        engine = create_engine(self.settings.database_url, pool_size=self.settings.db_pool_size)
        sessions = session_factory(engine)
        pool = await create_pool(self.settings.database_url, size=self.settings.db_pool_size)
        relay = OutboxRelay(
            service=self.name,
            pool=pool,
            topics=topics,
            bootstrap_servers=common.kafka_bootstrap_servers,
            batch_size=self.settings.relay_batch_size,
            poll_interval=self.settings.relay_poll_interval_seconds,
            linger_ms=common.producer_linger_ms,
            pass_pace_ms=common.relay_pass_pace_ms,
            request_gather_ms=common.relay_request_gather_ms,
            request_gather=common.relay_request_gather,
            redact=redact,
        )
        streaming = streaming_fetch(
            gather_ms=self.settings.consumer_gather_ms,
            gather_bytes=self.settings.consumer_gather_bytes,
            max_wait_ms=common.fetch_max_wait_ms,
            min_bytes=common.fetch_min_bytes,
        )
        consumers = (
            [
                ConsumerLoop(
                    service=self.name,
                    group_id=self.name,
                    handlers=self.handlers,
                    pool=pool,
                    topics=topics,
                    bootstrap_servers=common.kafka_bootstrap_servers,
                    options=ConsumerOptions(
                        max_attempts=self.settings.consumer_max_attempts,
                        backoff_seconds=self.settings.consumer_backoff_seconds,
                        batch_size=self.settings.consumer_batch_size,
                        fetch_max_wait_ms=streaming.max_wait_ms,
                        fetch_min_bytes=streaming.min_bytes,
                        fetch_idle_wait_ms=common.fetch_idle_wait_ms,
                        commit_interval_seconds=common.offset_commit_interval_ms / 1000,
                    ),
                    clock=self.clock,
                    on_outbox_written=relay.wake,
                    notify_relay=lambda: not relay.active,
                    redact=redact,
                )
            ]
            if self.handlers
            else []
        )
        deps = Deps(
            service=self.name,
            settings=self.settings,
            engine=engine,
            sessions=sessions,
            pool=pool,
            relay=relay,
            consumers=consumers,
            clock=self.clock,
            redact=redact,
            extras=self.extras,
        )
        if self.prepare is not None:
            async with pool.acquire() as conn:
                await self.prepare(conn)
        stopping = asyncio.Event()

        def supervised(name: str, loop: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
            return asyncio.create_task(supervise(name, loop, stopping=stopping, service=self.name))

        relay_task = supervised("relay", relay.run)
        consumer_tasks = [supervised("consumer", c.run) for c in consumers]
        worker_tasks = [
            supervised(name, lambda w=worker: w(deps))  # type: ignore[misc]
            for name, worker in self.workers
        ]
        log.info("service started", port=self.settings.port)
        try:
            yield deps
        finally:
            stopping.set()
            # Consumers finish and commit the batch in hand; workers are cancelled, which rolls
            # back their open transaction; the relay goes last so it can publish what they wrote.
            for consumer in consumers:
                consumer.stop()
            await _finish(consumer_tasks, grace=30)
            await _cancel(worker_tasks)
            relay.stop()
            await _finish([relay_task], grace=10)
            await pool.close()
            await engine.dispose()
            log.info("service stopped")


async def _finish(tasks: list[asyncio.Task[None]], *, grace: float) -> None:
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    await _cancel(list(pending))


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task


def create_service_app(
    service: Service,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    itemwise: Mapping[str, str] | None = None,
    throttles_its_own_auth: bool = False,
) -> FastAPI:
    """`itemwise` names the routes that answer each item of a batch on its own, and the body's
    list of items: the edge leaves those items' values to the route (`leadkit.edge`). A service
    that `throttles_its_own_auth` before its key lookups (capture) is not throttled twice."""
    configure_logging(
        service=service.name,
        level=service.settings.leadloop.log_level,
        fmt=service.settings.leadloop.log_format,
        redactor=Redactor(secrets_of(service.settings)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service.running() as deps:
            app.state.deps = deps
            yield

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    answer_503_while_the_database_is_away(app)
    # imported here: it authenticates with leadkit.auth, which imports this module
    from leadkit.operations import operations_router
    from leadkit.session import session_router

    app.include_router(health_router)
    app.include_router(session_router)
    app.include_router(operations_router)
    for router in routers:
        app.include_router(router)
    guard_the_edge(
        app,
        max_body_bytes=service.settings.max_body_bytes,
        auth_failures_per_minute=None
        if throttles_its_own_auth
        else service.settings.auth_failures_per_minute,
        itemwise=dict(itemwise or {}),
    )
    # outermost: a browser's preflight is answered before any other layer, and every answer —
    # a 401 or a 413 from the edge included — carries the headers the console needs to read it
    app.add_middleware(
        ConsoleCors,
        allow_origins=service.settings.leadloop.console_origin_list(),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["X-API-Key", "Content-Type", "Idempotency-Key"],
        max_age=600,
    )
    return app
