"""The calendar service application."""

from pathlib import Path

from fastapi import FastAPI

from services.calendar.api import ROUTERS
from services.calendar.consumers import HANDLERS
from services.calendar.settings import CalendarSettings
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
    return create_service_app(SPEC, settings, bus)
