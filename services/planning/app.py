"""The planning service application: the API, and the scheduler that reminds before deadlines."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.planning.api import ROUTERS
from services.planning.consumers import HANDLERS
from services.planning.settings import PlanningSettings
from services.planning.usecases.reminders import Scheduler
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="planning",
    title="Contentum CRM — planning",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def create_app(settings: PlanningSettings, bus: Bus | None = None) -> FastAPI:
    @asynccontextmanager
    async def scheduling(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(
            app.state.sessions, settings.scheduler_interval, settings.lock_reminder_days
        )
        task = asyncio.create_task(scheduler.run(), name="planning-scheduler")
        try:
            yield
        finally:
            scheduler.stop()
            await task

    return create_service_app(SPEC, settings, bus, running=scheduling)
