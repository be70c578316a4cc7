"""Calendar programs against the whole CRM over real HTTP: one server for all their tests."""

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
import uvicorn

from services.catalog import SERVICES
from services.embedded import create_embedded_app
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET
from shared.testing.postgres import fresh_database
from shared.testing.processes import free_port


@dataclass(frozen=True)
class Seller:
    """A manager with a personal token, the app password their phone uses."""

    url: str
    email: str
    token: str
    api: dict[str, str]  # bearer headers for the JSON API

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=self.api, timeout=10, **kwargs)


@pytest.fixture(scope="session")
def crm_url(pg_server: str) -> Iterator[str]:
    """The whole CRM (embedded mode) served by uvicorn on a free port, in a thread of its own."""

    async def databases() -> dict[str, str]:
        return {name: await fresh_database(pg_server, f"dav_{name}") for name in SERVICES}

    app = create_embedded_app(
        asyncio.run(databases()),
        identity_secret=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="en",
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="crm-dav", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the CRM did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def _bearer(url: str, email: str, password: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/api/auth/token", data={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def seller(crm_url: str) -> Seller:
    """A new manager for each test, so tests do not see each other's calendars."""
    admin = _bearer(crm_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    email = f"seller.{uuid4().hex[:8]}@contentum.pl"
    body = {"email": email, "name": "Anna Nowak", "password": "a long password", "role": "manager"}
    made = httpx.post(f"{crm_url}/api/users", json=body, headers=admin)
    assert made.status_code == 201, made.text
    api = _bearer(crm_url, email, "a long password")
    token = httpx.post(f"{crm_url}/api/auth/tokens", json={"name": "phone"}, headers=api)
    return Seller(crm_url, email, token.json()["token"], api)
