"""The gateway application: the only door for browsers and API clients."""

from pathlib import Path

from fastapi import FastAPI

from services.gateway.api import ROUTERS
from services.gateway.backends import Backends
from services.gateway.consumers import HANDLERS
from services.gateway.settings import BACKENDS, GatewaySettings
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="gateway",
    title="Contentum CRM",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def create_app(
    settings: GatewaySettings, bus: Bus | None = None, backends: Backends | None = None
) -> FastAPI:
    """The gateway; without `backends` it calls the services at the URLs in its settings."""
    app = create_service_app(SPEC, settings, bus)
    app.state.backends = backends or Backends.over_http(
        {name: settings.backend_url(name) for name in BACKENDS}, settings.service_timeout
    )
    return app
