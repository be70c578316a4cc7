"""The planning service application."""

from pathlib import Path

from fastapi import FastAPI

from services.planning.api import ROUTERS
from services.planning.consumers import HANDLERS
from services.planning.settings import PlanningSettings
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
    return create_service_app(SPEC, settings, bus)
