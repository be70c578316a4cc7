"""A gateway on its own database, with the first administrator signed in; the whole CRM in
process, with people of two groups in browsers of their own, for the pages."""

import re
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


def csrf_of(html: str) -> str:
    """The CSRF token a page carries for its requests."""
    found = re.search(r'data-csrf-token="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


async def browser_sign_in(gateway: httpx.AsyncClient, email: str, password: str) -> str:
    """Sign in as the login form does; return the CSRF token the pages carry from then on
    (signing in renews it)."""
    page = await gateway.get("/login")
    token = csrf_of(page.text)
    answer = await gateway.post(
        "/login",
        data={"email": email, "password": password},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.headers.get("HX-Redirect") == "/", answer.text
    return answer.cookies["crm_csrf"]


# --- people at work in the pages ------------------------------------------------------------


# What HTMX sends with every request of a page: a dialog's content asked for without it is a
# bookmark or a reload, sent to the page the dialog belongs to.
HTMX = {"HX-Request": "true"}


class Browser:
    """A signed-in person's browser: its own cookies, the CSRF header on every request."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.token = client, token

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(self, path: str, data: Any = None, htmx: bool = True) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token, **({"HX-Request": "true"} if htmx else {})}
        return await self.client.post(path, data=data, headers=headers)


@pytest.fixture(scope="module")
async def people(crm: httpx.AsyncClient, api: dict[str, str]) -> AsyncIterator[dict[str, Browser]]:
    """The administrator, a head of a group with two managers, and a manager of another group,
    each in a browser of their own."""
    teams = (await crm.get("/api/teams", headers=api)).json()
    [root] = [team for team in teams if team["parent_id"] is None]
    north = await crm.post(
        "/api/teams", json={"name": "Północ", "parent_id": root["id"]}, headers=api
    )
    south = await crm.post(
        "/api/teams", json={"name": "Południe", "parent_id": root["id"]}, headers=api
    )
    staff = {
        "head": ("Halina Szef", "head", north.json()["id"]),
        "anna": ("Anna Nowak", "manager", north.json()["id"]),
        "piotr": ("Piotr Kowal", "manager", north.json()["id"]),
        "ewa": ("Ewa Obca", "manager", south.json()["id"]),
    }
    browsers: dict[str, Browser] = {}
    app = crm._transport.app  # type: ignore[attr-defined]
    clients = []
    for key, (name, role, team) in staff.items():
        body = {
            "email": f"{key}@contentum.pl",
            "name": name,
            "password": PASSWORD,
            "role": role,
            "team_id": team,
            "locale": "en",
        }
        assert (await crm.post("/api/users", json=body, headers=api)).status_code == 201
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(client)
        browsers[key] = Browser(client, await browser_sign_in(client, body["email"], PASSWORD))
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    clients.append(admin)
    browsers["admin"] = Browser(admin, await browser_sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD))
    yield browsers
    for client in clients:
        await client.aclose()


def redirected_to(answer: httpx.Response) -> str:
    assert answer.status_code == 204, answer.text
    return answer.headers["HX-Redirect"]


async def new_company(who: Browser, name: str, nip: str = "") -> str:
    to = redirected_to(await who.post("/companies", {"name": name, "tax_id": nip}))
    return to.rsplit("/", 1)[1]


async def pipeline(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, Any]:
    return (await crm.get("/api/pipelines", headers=api)).json()[0]  # type: ignore[no-any-return]


def stage(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in found["stages"] if s["name"] == name)


async def quick_add(who: Browser, stage_id: str, company_id: str, **fields: str) -> str:
    """A deal added with a column's "+": its id, found on the board."""
    body = {"stage_id": stage_id, "company_id": company_id, "back": "board", **fields}
    answer = await who.post("/deals", body)
    assert answer.status_code == 204 and answer.headers["HX-Trigger"] == "crm:saved", answer.text
    board = (await who.get("/deals")).text
    found = re.findall(
        r'data-deal-id="([0-9a-f-]+)">\s*<a href="/deals/[0-9a-f-]+">([^<]+)<', board
    )
    return str(next(deal_id for deal_id, title in found if title == fields["title"]))
