"""The deals service application."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.deals.api import ROUTERS
from services.deals.consumers import HANDLERS
from services.deals.settings import DealsSettings
from services.deals.usecases.imports import fail_stale_jobs
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
        """A default pipeline and lost reasons exist from the first start; imports whose process
        died (a restart, a crash) are failed instead of showing `running` for ever."""
        await ensure_default_pipeline(app.state.sessions, locale=settings.admin_locale)
        await fail_stale_jobs(app.state.sessions)
        yield

    return create_service_app(SPEC, settings, bus, running=serving)
