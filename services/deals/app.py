"""The deals service application."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.deals.api import ROUTERS
from services.deals.consumers import HANDLERS
from services.deals.settings import DealsSettings
from services.deals.usecases.imports import interrupt_orphans
from services.deals.usecases.pipelines import ensure_default_pipeline
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="deals",
    title="Contentum CRM — deals",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def create_app(settings: DealsSettings, bus: Bus | None = None) -> FastAPI:
    @asynccontextmanager
    async def serving(app: FastAPI) -> AsyncIterator[None]:
        """A default pipeline and lost reasons exist from the first start; imports whose worker
        died (a crash, kill -9) are interrupted instead of showing `running` for ever, and the
        imports running when the service stops interrupt themselves, to be resumed."""
        await ensure_default_pipeline(app.state.sessions, locale=settings.admin_locale)
        await interrupt_orphans(app.state.sessions)
        app.state.imports = set()
        try:
            yield
        finally:
            await _interrupt(app.state.imports)

    return create_service_app(SPEC, settings, bus, running=serving)


async def _interrupt(imports: set[asyncio.Task[None]]) -> None:
    for task in list(imports):
        task.cancel()
    await asyncio.gather(*imports, return_exceptions=True)
