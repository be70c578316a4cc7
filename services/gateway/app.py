"""The gateway application: the only door for browsers and API clients."""

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI

from services.gateway.api import ROUTERS
from services.gateway.backends import Backends
from services.gateway.consumers import HANDLERS
from services.gateway.settings import BACKENDS, GatewaySettings
from services.gateway.usecases.people import ensure_company_and_admin
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="gateway",
    title="Contentum CRM",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def first_start(settings: GatewaySettings) -> Callable[[FastAPI], Awaitable[None]]:
    """Create the company group and the first administrator when the database is new."""

    async def start(app: FastAPI) -> None:
        password = settings.admin_password.get_secret_value() if settings.admin_password else None
        generated = await ensure_company_and_admin(
            app.state.sessions, email=settings.admin_email, password=password
        )
        if generated is not None:  # shown once, on the console only, never logged
            email, secret = generated
            print(f"First administrator: {email} / password: {secret}", file=sys.stderr)

    return start


def create_app(
    settings: GatewaySettings, bus: Bus | None = None, backends: Backends | None = None
) -> FastAPI:
    """The gateway; without `backends` it calls the services at the URLs in its settings."""
    app = create_service_app(SPEC, settings, bus, on_start=first_start(settings))
    app.state.settings = settings
    app.state.backends = backends or Backends.over_http(
        {name: settings.backend_url(name) for name in BACKENDS}, settings.service_timeout
    )
    return app
