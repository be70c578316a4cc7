"""The deals service application."""

from pathlib import Path

from fastapi import FastAPI

from services.deals.api import ROUTERS
from services.deals.consumers import HANDLERS
from services.deals.settings import DealsSettings
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
    return create_service_app(SPEC, settings, bus)
