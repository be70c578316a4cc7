"""Embedded mode: all five apps in one process, one database each, events delivered in process."""

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.catalog import BACKENDS, SERVICES
from services.gateway.backends import Backends
from services.gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.postgres import ensure_database
from shared.settings import load_settings

DATABASE_PREFIX = "crm_"
# Of the embedded server's 100 (PostgreSQL's default): 18 an app, 10 to spare.
EMBEDDED_CONNECTIONS = 90


async def prepare_databases(server_url: str, *, fresh: bool = False) -> dict[str, str]:
    """One database per service on the server (`crm_deals`, ...), created when missing."""
    return {
        name: await ensure_database(server_url, DATABASE_PREFIX + name, fresh=fresh)
        for name in SERVICES
    }


def create_embedded_app(
    database_urls: dict[str, str],
    *,
    identity_secret: str | None = None,
    admin_locale: str | None = None,
    **gateway_settings: Any,
) -> FastAPI:
    """The gateway, with the four services mounted behind it in process and started with it.

    `gateway_settings` override gateway settings (e.g. `admin_email`), which otherwise come from the env;
    `admin_locale` (else `CRM_ADMIN_LOCALE`) is every service's, as each names things in it.
    """
    bus = InProcessBus()
    common: dict[str, Any] = {
        "identity_secret": identity_secret or secrets.token_urlsafe(32),
        "kafka_bootstrap_servers": None,
    }
    if admin_locale is not None:
        common["admin_locale"] = admin_locale
    # The process's connections, shared by its five apps alike.
    process = load_settings(
        GatewaySettings, database_url=database_urls["gateway"], **common, **gateway_settings
    )
    common["database_connections"] = (process.database_connections or EMBEDDED_CONNECTIONS) // len(
        SERVICES
    )
    apps = {
        name: SERVICES[name].create_app(
            load_settings(SERVICES[name].settings, database_url=database_urls[name], **common), bus
        )
        for name in BACKENDS
    }
    settings = load_settings(
        GatewaySettings, database_url=database_urls["gateway"], **common, **gateway_settings
    )
    gateway = SERVICES["gateway"].create_app(settings, bus, Backends.in_process(apps))
    gateway_lifespan = gateway.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for backend in apps.values():
                await stack.enter_async_context(backend.router.lifespan_context(backend))
            await stack.enter_async_context(gateway_lifespan(app))
            await bus.start()  # only now: every consumer has subscribed
            stack.push_async_callback(bus.stop)
            yield

    gateway.router.lifespan_context = lifespan
    gateway.state.embedded_apps = apps
    return gateway
