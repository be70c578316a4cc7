"""Calendar programs against the whole CRM (`crm run`): one server for the module's clients."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.processes import crm_process, free_port

pytestmark = pytest.mark.slow


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
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    scratch = tmp_path_factory.mktemp("crm-dav")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": "",
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_ADMIN_LOCALE": "en",
    }
    args = ["run", "--port", str(port), "--data-dir", str(scratch / "pg")]
    with crm_process(args, env=env, log=scratch / "crm.log", url=url):
        yield url


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
