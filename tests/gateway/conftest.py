"""A gateway on its own database, with the first administrator signed in."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.embedded import create_embedded_app, prepare_databases
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, running

PASSWORD = "a long enough password"


@pytest.fixture
async def gateway(
    service_database: Any, settings_for: Any, bus: InProcessBus
) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client of a fresh gateway."""
    settings = GatewaySettings(
        **settings_for(await service_database("gateway")),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    async with running(create_app(settings, bus)) as client:
        yield client


@pytest.fixture(scope="module")
async def crm(pg_server: str) -> AsyncIterator[httpx.AsyncClient]:
    """The whole CRM in process, one per test module, for the pages that call the services."""
    urls = await prepare_databases(pg_server, fresh=True)
    app = create_embedded_app(
        urls,
        identity_secret=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="en",
    )
    async with running(app) as client:
        yield client


@pytest.fixture(scope="module")
async def api(crm: httpx.AsyncClient) -> dict[str, str]:
    """Bearer headers for `crm`, taken before it signs in as a browser (then it has cookies)."""
    return await bearer(crm, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
async def admin(gateway: httpx.AsyncClient) -> dict[str, str]:
    return await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
async def company(gateway: httpx.AsyncClient, admin: dict[str, str]) -> str:
    teams = (await gateway.get("/api/teams", headers=admin)).json()
    [root] = [team for team in teams if team["parent_id"] is None]
    return str(root["id"])


async def add_user(
    gateway: httpx.AsyncClient, admin: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"name": fields.get("email", "x"), "password": PASSWORD, **fields}
    answer = await gateway.post("/api/users", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def add_team(
    gateway: httpx.AsyncClient, admin: dict[str, str], **fields: Any
) -> dict[str, Any]:
    answer = await gateway.post("/api/teams", json=fields, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]
