"""The gateway application: the only door for browsers and API clients."""

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from services.gateway import api, web
from services.gateway.api import proxy
from services.gateway.api.passage import InProcessPassage
from services.gateway.backends import Backends
from services.gateway.body_limits import BodyLimit
from services.gateway.callers import CALLERS
from services.gateway.consumers import handlers
from services.gateway.domain.routing import owner_of
from services.gateway.feed_consumers import feed_handlers
from services.gateway.mail import Mailer
from services.gateway.notifications import NotificationHub
from services.gateway.request_consumers import request_handlers
from services.gateway.settings import BACKENDS, GatewaySettings
from services.gateway.usecases import webhooks
from services.gateway.usecases.people import ensure_company_and_admin
from services.gateway.web.errors import install_page_errors
from services.gateway.web.security import install_browser_security
from shared.bus import Bus
from shared.consumer import combined
from shared.postgres import asyncpg_dsn
from shared.service import ServiceSpec, create_service_app

STATIC = Path(__file__).parent / "web" / "static"


def own_api_path(path: str) -> bool:
    """The gateway's own API (not sign-in, whose answers are tokens): where it keeps the keys
    of writes. A service's paths keep theirs in the service."""
    return path.startswith("/api/") and not path.startswith("/api/auth/") and not owner_of(path[5:])


SPEC = ServiceSpec(
    name="gateway",
    title="Contentum CRM",
    migrations=Path(__file__).parent / "migrations",
    # The proxy comes last, so the gateway's own paths win over forwarding.
    routers=[*api.ROUTERS, *web.ROUTERS, proxy.router],
    openapi=False,  # api/openapi.py: the services' operations are described too
    redirect_slashes=True,
    listeners=1,  # notifications for the open tabs, identities to forget
    keyed_paths=own_api_path,
)


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """While the gateway serves: the first administrator exists, notifications are pushed, and
    the clients of the backend services are closed at the end."""
    settings: GatewaySettings = app.state.settings
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    # The command that serves the gateway shows it once, on the console only, never logged.
    app.state.first_administrator = await ensure_company_and_admin(
        app.state.sessions,
        email=settings.admin_email,
        password=password,
        locale=settings.admin_locale,
    )
    hub: NotificationHub = app.state.hub
    listening = asyncio.create_task(hub.run(asyncpg_dsn(settings.async_database_url)))
    delivering = asyncio.create_task(
        webhooks.run_worker(
            app.state.sessions,
            webhooks.policy_of(settings),
            poll_seconds=settings.webhook_poll_seconds,
        ),
        name="webhook-deliveries",
    )
    try:
        yield
    finally:
        for task in (listening, delivering):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.state.backends.close()


def create_app(
    settings: GatewaySettings, bus: Bus | None = None, backends: Backends | None = None
) -> FastAPI:
    """The gateway; without `backends` it calls the services at the URLs in its settings."""
    mailer = Mailer(settings)
    own = combined(handlers(mailer), request_handlers(mailer), feed_handlers(mailer))
    spec = dataclasses.replace(SPEC, handlers=webhooks.handlers(own))
    app = create_service_app(spec, settings, bus, running=serving)
    app.state.settings = settings
    app.state.first_administrator = None
    app.state.hub = NotificationHub(forget_callers=CALLERS.forget)
    app.state.when_stopping.append(app.state.hub.close)
    app.state.backends = backends or Backends.over_http(
        {name: settings.backend_url(name) for name in BACKENDS}, settings.service_timeout
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app)
    upload_bytes = int(settings.max_upload_mb * 1024 * 1024)
    app.add_middleware(BodyLimit, upload_bytes=upload_bytes)
    secret: str = app.state.identity_secret  # CSRF tokens are sealed with it
    install_browser_security(app, secure_cookies=settings.secure_cookies, secret=secret)
    # In front of all of the gateway's layers, its error pages among them: a passed call is
    # protected by the passage and answered, errors too, by the service's own layers.
    stack_of_the_gateway = app.build_middleware_stack

    def stack_behind_the_passage() -> ASGIApp:
        return InProcessPassage(
            stack_of_the_gateway(),
            gateway=app,
            upload_bytes=upload_bytes,
            secure_cookies=settings.secure_cookies,
            secret=secret,
        )

    app.build_middleware_stack = stack_behind_the_passage  # type: ignore[method-assign]
    return app
