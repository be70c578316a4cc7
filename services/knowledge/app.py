"""The knowledge service application."""

from pathlib import Path

from fastapi import FastAPI

from services.knowledge.api import ROUTERS
from services.knowledge.consumers import HANDLERS
from services.knowledge.settings import KnowledgeSettings
from shared.bus import Bus
from shared.service import ServiceSpec, create_service_app

SPEC = ServiceSpec(
    name="knowledge",
    title="Contentum CRM — knowledge",
    migrations=Path(__file__).parent / "migrations",
    routers=ROUTERS,
    handlers=HANDLERS,
)


def create_app(settings: KnowledgeSettings, bus: Bus | None = None) -> FastAPI:
    return create_service_app(SPEC, settings, bus)
