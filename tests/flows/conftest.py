"""Event-flow fixtures: services wired to a real Kafka broker, each with its own database."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from services.planning.app import create_app as create_planning
from services.planning.settings import PlanningSettings
from shared.testing.apps import identity_headers, running
from shared.testing.kafka import KafkaBroker

pytestmark = pytest.mark.kafka


@pytest.fixture(autouse=True)
def english_first_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flows name the default pipeline's stages as an English-speaking administrator's CRM
    does on its first start."""
    monkeypatch.setenv("CRM_ADMIN_LOCALE", "en")


Started = Callable[[], AbstractAsyncContextManager[tuple[httpx.AsyncClient, httpx.AsyncClient]]]


@pytest.fixture
def deals_and_planning(service_database: Any, settings_for: Any, kafka: KafkaBroker) -> Started:
    """Deals and planning in this process, each with its own database and its own Kafka bus."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
        deals_settings = DealsSettings(
            **settings_for(await service_database("deals"), kafka.bootstrap_servers)
        )
        planning_settings = PlanningSettings(
            **settings_for(await service_database("planning"), kafka.bootstrap_servers)
        )
        async with (
            running(create_deals(deals_settings)) as deals,
            running(create_planning(planning_settings)) as planning,
        ):
            for client in (deals, planning):
                client.headers.update(identity_headers())
            yield deals, planning

    return start


async def client_ids(planning: httpx.AsyncClient) -> set[str]:
    """Every client id planning lists, across all pages."""
    ids: set[str] = set()
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = (await planning.get("/api/plans/clients", params=params)).json()
        ids |= {item["id"] for item in page["items"]}
        if not page["next_cursor"]:
            return ids
        params["cursor"] = page["next_cursor"]
