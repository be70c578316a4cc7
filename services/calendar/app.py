"""The calendar service application: the API, and the scheduler that fires reminders."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.calendar.api import ROUTERS
from services.calendar.consumers import HANDLERS
from services.calendar.settings import CalendarSettings
from services.calendar.usecases.activities import Policy
from services.calendar.usecases.alarms import Scheduler
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="calendar",
    title="Contentum CRM — calendar",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def create_app(settings: CalendarSettings, bus: Bus | None = None) -> FastAPI:
    @asynccontextmanager
    async def scheduling(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(
            app.state.sessions, settings.scheduler_interval, settings.outcome_escalation_hours
        )
        task = asyncio.create_task(scheduler.run(), name="calendar-scheduler")
        try:
            yield
        finally:
            scheduler.stop()
            await task

    app = create_service_app(SPEC, settings, bus, running=scheduling)
    app.state.policy = Policy(
        time_zone=settings.time_zone, escalation_hours=settings.outcome_escalation_hours
    )
    app.state.public_url = settings.public_url
    return app
