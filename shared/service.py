"""One way to build every service: app factory, lifespan (migrate, db, bus, relay), health, metrics."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from asyncpg import TooManyConnectionsError
from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import idempotency, sweeps
from shared.bus import Bus
from shared.consumer import Consumer, Handler
from shared.db import SERVICE_CONNECTIONS, ConnectionBudget, new_engine, new_session_factory, ping
from shared.errors import install_error_handlers
from shared.metrics import BUS_UP, HTTP_REQUESTS
from shared.migrations import upgrade_async
from shared.outbox import Relay
from shared.reads import DatabaseBusy, ReadPool
from shared.routing import index_routes
from shared.settings import ServiceSettings
from shared.validation import install_validation_messages

log = logging.getLogger(__name__)

# A stop must not wait on a broker that is gone: what the relay has not published stays in the
# outbox for the next start, and Kafka's clients are given this long to say goodbye.
RELAY_STOP_SECONDS = 2.0
BUS_STOP_SECONDS = 5.0
BUS_CHECK_SECONDS = 5.0  # how often the bus is pinged for /healthz and `crm_bus_up`
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a service itself: its name, routers, migrations and event handlers."""

    name: str
    title: str
    migrations: Path
    routers: Sequence[APIRouter] = ()
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    # False: the routers serve `/openapi.json` and `/docs` themselves (the gateway's document
    # takes in the services' own).
    openapi: bool = True
    # A service behind the gateway answers a path as it is: a redirect would name the service's
    # own address, which the caller cannot reach. People type the gateway's pages' addresses.
    redirect_slashes: bool = False
    # Connections the service holds beyond the kernel's: LISTENs of its own, pools of its own.
    listeners: int = 0
    own_pools: int = 0
    # Which paths' writes honour an `Idempotency-Key` (None: all); the gateway's own only.
    keyed_paths: Callable[[str], bool] | None = None


def new_bus(settings: ServiceSettings, client_id: str) -> Bus:
    """The Kafka bus named by the settings (distributed mode)."""
    from shared.kafka import KafkaBus
    from shared.kafka_security import KafkaSecurity

    if not settings.kafka_bootstrap_servers:
        raise SystemExit("crm: KAFKA_BOOTSTRAP_SERVERS is missing")
    return KafkaBus(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        replication_factor=settings.kafka_replication_factor,
        security=KafkaSecurity.of(settings),
        namespace=settings.kafka_namespace,
    )


def create_service_app(
    spec: ServiceSpec,
    settings: ServiceSettings,
    bus: Bus | None = None,
    *,
    running: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """A service's FastAPI app. With no `bus`, the service owns a Kafka bus built from settings.

    `running` wraps the time the service serves: entered once the database is migrated and open.
    """
    owns_bus = bus is None
    service_bus = bus if bus is not None else new_bus(settings, spec.name)

    budget = ConnectionBudget.split(
        settings.database_connections or SERVICE_CONNECTIONS,
        listeners=1 + spec.listeners,  # the relay's wake-up
        own_pools=spec.own_pools,
    )
    wait = settings.database_wait_seconds
    keep_seconds = settings.idempotency_key_hours * 3600

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade_async(spec.migrations, settings.async_database_url)
        engine = new_engine(
            settings.async_database_url, pool_size=budget.sessions, wait_seconds=wait
        )
        sessions = new_session_factory(engine)
        app.state.engine, app.state.sessions, app.state.bus = engine, sessions, service_bus
        reads = ReadPool(settings.async_database_url, size=budget.reads, wait_seconds=wait)
        await reads.start()
        app.state.reads = reads
        # The relay and the consumers retry (or get the event again) when a connection is dead,
        # so they skip the pool's ping: one round trip less on every event's way.
        events_engine = new_engine(
            settings.async_database_url, pool_size=budget.events, pre_ping=False
        )
        event_sessions = new_session_factory(events_engine)
        if spec.handlers:
            service_bus.subscribe(Consumer(spec.name, event_sessions, spec.handlers))
        if owns_bus:
            await service_bus.start()
        relay = Relay(
            service=spec.name,
            sessions=event_sessions,
            bus=service_bus,
            database_url=settings.async_database_url,
        )
        relaying = asyncio.create_task(relay.run(), name=f"{spec.name}-outbox-relay")
        app.state.bus_up = True
        BUS_UP.labels(spec.name).set(1)
        watching = asyncio.create_task(_watch_bus(app, spec.name), name=f"{spec.name}-bus-check")
        sweeping = asyncio.create_task(
            sweeps.sweeping(reads, sweeps.sweeps_of(settings)), name=f"{spec.name}-sweeps"
        )
        try:
            async with running(app) if running else contextlib.nullcontext():
                yield
        finally:
            watching.cancel()
            sweeping.cancel()
            relay.stop()
            await _within(relaying, RELAY_STOP_SECONDS, f"{spec.name}: the outbox relay")
            if owns_bus:
                await _within(service_bus.stop(), BUS_STOP_SECONDS, f"{spec.name}: the bus")
            await events_engine.dispose()
            await reads.close()
            await engine.dispose()

    own_docs = "/openapi.json" if spec.openapi else None
    app = FastAPI(
        title=spec.title,
        lifespan=lifespan,
        openapi_url=own_docs,
        docs_url=own_docs and "/docs",
        redoc_url=own_docs and "/redoc",
        redirect_slashes=spec.redirect_slashes,
        # FastAPI's OpenTelemetry hooks ask the SDK on every request whether it is configured
        # (2.6 µs an app); the services export Prometheus metrics instead (`Measured`).
        telemetry=NO_TELEMETRY,
    )
    app.state.service = spec.name
    # Run by the server as it begins to stop, before it waits for the requests under way.
    app.state.when_stopping = []
    app.state.identity_secret = settings.identity_secret.get_secret_value()
    app.state.budget = budget
    install_error_handlers(app)
    install_validation_messages(app)
    install_busy_answers(app)
    idempotency.install_idempotency(app, keep_seconds=keep_seconds, keyed=spec.keyed_paths)
    app.include_router(operations_router())
    for router in spec.routers:
        app.include_router(router)
    index_routes(app)
    app.add_middleware(Measured, service=spec.name)
    return app


def install_busy_answers(app: FastAPI) -> None:
    """Every connection of the budget in use for the whole wait: 503 and when to try again,
    never a 500 (nor PostgreSQL's own refusal when the server has no connection left)."""

    async def busy(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "the database is busy; try again in a moment"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )

    for error in (DatabaseBusy, PoolTimeout, TooManyConnectionsError):
        app.add_exception_handler(error, busy)


async def _within(work: Awaitable[object], seconds: float, what: str) -> None:
    """Await `work` for `seconds` at most, then cancel it: a stop must not hang."""
    try:
        await asyncio.wait_for(work, seconds)
    except TimeoutError:
        log.warning("%s did not stop within %.0f s; left behind", what, seconds)
    except Exception:
        log.exception("%s failed to stop", what)


async def _watch_bus(app: FastAPI, service: str) -> None:
    """Ping the bus now and then: its state for `/healthz` and the `crm_bus_up` gauge (a broker
    outage is for alerting, not for taking the service out of its load balancer)."""
    while True:
        await asyncio.sleep(BUS_CHECK_SECONDS)
        try:
            up = bool(await asyncio.wait_for(app.state.bus.ping(), BUS_CHECK_SECONDS))
        except Exception:
            up = False
        app.state.bus_up = up
        BUS_UP.labels(service).set(1 if up else 0)


def operations_router() -> APIRouter:
    """`/healthz`, `/readyz` and `/metrics`, the same in every service and the gateway."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        """Alive; `bus` says whether Kafka answered the last look (it does not make this fail)."""
        return {"status": "ok", "bus": "ok" if request.app.state.bus_up else "down"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready while its database answers; a broker outage is absorbed by the outbox."""
        up = await ping(request.app.state.engine)
        return JSONResponse({"database": "ok" if up else "down"}, status_code=200 if up else 503)

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        """Prometheus metrics, in its text format."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class Measured:
    """Every request's time in `crm_http_request_seconds`, by route and status (plain ASGI: no
    task and no copied body per request, as `BaseHTTPMiddleware` would add)."""

    SERIES_KEPT = 10_000  # (method, route, status) series whose histogram is looked up once

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self._series: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500

        async def noting_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            self._series_of(scope, status_code).observe(time.perf_counter() - started)

    def _series_of(self, scope: Scope, status_code: int) -> Histogram:
        route = getattr(scope.get("route"), "path", "unmatched")
        key = (scope["method"], route, status_code)
        series = self._series.get(key)
        if series is None:
            series = HTTP_REQUESTS.labels(self.service, key[0], route, str(status_code))
            if len(self._series) < self.SERIES_KEPT:
                self._series[key] = series
        return series
