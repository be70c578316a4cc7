"""A deals service on its own database, people replicated into it through the in-process bus."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.auth import Identity
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running
from shared.testing.people import person, user_created

NORTH, SOUTH = uuid4(), uuid4()


@pytest.fixture(autouse=True)
def english_first_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name the default pipeline's stages and lost reasons as an English-speaking
    administrator's CRM does on its first start (a Polish one names them in Polish)."""
    monkeypatch.setenv("CRM_ADMIN_LOCALE", "en")


@pytest.fixture
async def deals(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[httpx.AsyncClient]:
    """The deals service; requests carry an administrator's identity unless told otherwise."""
    settings = DealsSettings(**settings_for(await service_database("deals")))
    async with running(create_app(settings, bus)) as client:
        client.headers.update(identity_headers())
        yield client


@pytest.fixture
def hire(bus: InProcessBus) -> Callable[[str, UUID | None], Awaitable[Identity]]:
    """A person announced by the gateway, so deals knows their group."""

    async def make(role: str, team: UUID | None) -> Identity:
        who = person(role, team)
        await bus.publish([user_created(who, team)])
        return who

    return make


def headers(who: Identity) -> dict[str, str]:
    return identity_headers(who)


async def pipeline(deals: httpx.AsyncClient) -> dict[str, Any]:
    [default] = (await deals.get("/api/pipelines")).json()
    return default  # type: ignore[no-any-return]


def stage(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in pipeline["stages"] if s["name"] == name)


async def company(deals: httpx.AsyncClient, name: str = "Kowalski sp. z o.o.") -> str:
    answer = await deals.post("/api/companies", json={"name": name})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])
