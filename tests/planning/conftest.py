"""A planning service on its own database, fed through the in-process bus."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.planning.app import create_app
from services.planning.settings import PlanningSettings
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running


@pytest.fixture
async def planning(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[httpx.AsyncClient]:
    settings = PlanningSettings(**settings_for(await service_database("planning")))
    async with running(create_app(settings, bus)) as client:
        client.headers.update(identity_headers())
        yield client
