"""The five services by name: each one's settings, app factory and spec."""

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from services.calendar import app as calendar
from services.calendar.settings import CalendarSettings
from services.deals import app as deals
from services.deals.settings import DealsSettings
from services.gateway import app as gateway
from services.gateway.settings import BACKENDS, GatewaySettings
from services.knowledge import app as knowledge
from services.knowledge.settings import KnowledgeSettings
from services.planning import app as planning
from services.planning.settings import PlanningSettings
from shared.service import ServiceSpec
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Entry:
    settings: type[ServiceSettings]
    create_app: Callable[..., FastAPI]
    spec: ServiceSpec


__all__ = ["BACKENDS", "SERVICES", "Entry"]

SERVICES: dict[str, Entry] = {
    "deals": Entry(DealsSettings, deals.create_app, deals.SPEC),
    "calendar": Entry(CalendarSettings, calendar.create_app, calendar.SPEC),
    "planning": Entry(PlanningSettings, planning.create_app, planning.SPEC),
    "knowledge": Entry(KnowledgeSettings, knowledge.create_app, knowledge.SPEC),
    "gateway": Entry(GatewaySettings, gateway.create_app, gateway.SPEC),
}
