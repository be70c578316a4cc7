"""Pages never answer 500: a service that is down gives a page naming it, a refusal its status;
staff of other departments are refused every sales page and API; every module imports alone."""

import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.catalog import BACKENDS, SERVICES
from services.embedded import create_embedded_app, prepare_databases
from services.gateway import web
from services.gateway.backends import Backends
from services.gateway.domain.routing import ROUTES, SALES_ONLY
from services.gateway.web.rendering import navigation
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, running
from tests.gateway.conftest import PASSWORD
from tests.gateway.test_web import browser_sign_in

GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"
# Pages every signed-in user may open, staff included.
FOR_EVERYONE = {
    "/",
    "/login",
    "/logout",
    "/preferences/locale",
    "/account",
    "/account/password",
    "/notifications/stream",
    "/notifications",
    "/notifications/panel",
    "/notifications/more",
    "/notifications/read",
    "/notifications/{notification_id}/read",
    "/notifications/{notification_id}/open",
}
# The knowledge base is read by everyone, the staff of other departments too.
FOR_EVERYONE |= {
    "/knowledge",
    "/knowledge/search",
    "/knowledge/must-read",
    "/knowledge/upload",
    "/knowledge/pages",
    "/knowledge/pages/new",
    "/knowledge/folders",
    "/knowledge/folders/{folder_id}/access",
    "/knowledge/documents/{document_id}",
    "/knowledge/documents/{document_id}/acknowledge",
    "/knowledge/documents/{document_id}/versions",
    "/knowledge/documents/{document_id}/versions/{number}/restore",
    "/knowledge/documents/{document_id}/must-read",
    "/knowledge/documents/{document_id}/archive",
    "/knowledge/documents/{document_id}/edit",
    "/knowledge/documents/{document_id}/text",
}
# The desk and the search box are everyone's; what is in them follows the role.
FOR_EVERYONE |= {
    "/desk/widgets",
    "/desk/widgets/{name}",
    "/desk/widgets/{name}/remove",
    "/desk/layout",
    "/desk/reset",
    "/desk/shortcuts",
    "/desk/shortcuts/{shortcut_id}/remove",
    "/search",
    "/search/quick",
}
# Requests to departments: staff work on them, everyone raises them and reads the catalogue.
FOR_EVERYONE |= {
    "/services",
    "/requests",
    "/requests/load",
    "/requests/new",
    "/requests/accept",
    "/requests/{request_id}",
    "/requests/{request_id}/accept",
    "/requests/{request_id}/{step}",
}

# So is the feed, but for the notes on sales records (their threads) and the administrator's
# switches.
FOR_EVERYONE |= {
    "/feed",
    "/feed/more",
    "/feed/people",
    "/feed/posts",
    "/feed/posts/{post_id}",
    "/feed/posts/{post_id}/card",
    "/feed/posts/{post_id}/comments",
    "/feed/posts/{post_id}/reactions",
    "/feed/posts/{post_id}/acknowledge",
    "/feed/posts/{post_id}/pin",
    "/feed/posts/{post_id}/delete",
    "/feed/posts/{post_id}/edit",
    "/feed/posts/{post_id}/promote",
}
# What each backend's label reads on a page in English.
LABELS = {
    "deals": "deals",
    "calendar": "calendar",
    "planning": "planning",
    "knowledge": "knowledge",
}


@pytest.fixture(scope="module")
async def crm_app(pg_server: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    urls = await prepare_databases(pg_server, fresh=True)
    app = create_embedded_app(
        urls,
        identity_secret=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="en",
    )
    async with running(app) as client:
        yield app, client


@pytest.fixture(scope="module")
async def records(crm_app: tuple[FastAPI, httpx.AsyncClient]) -> dict[str, str]:
    """A company and a deal to open pages of, and the administrator signed in as a browser."""
    _app, crm = crm_app
    api = await bearer(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    company = (await crm.post("/api/companies", json={"name": "Odlewnia"}, headers=api)).json()
    body = {"title": "Formy", "company_id": company["id"]}
    deal = (await crm.post("/api/deals", json=body, headers=api)).json()
    await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    return {"company": company["id"], "deal": deal["id"], **api}


def _pages_of_the_administrator(records: dict[str, str]) -> list[str]:
    """Every navigation entry an administrator has, and the pages one click below them."""

    class Admin:
        role = "admin"

    entries = [item.href for item in navigation(Admin(), "/")]  # type: ignore[arg-type]
    return [
        *entries,
        "/deals/list",
        f"/deals/{records['deal']}",
        f"/companies/{records['company']}",
        "/calendar/awaiting",
        "/calendar/sync",
        "/calendar/settings",
        "/plans/review",
        "/plans/groups",
        "/plans/settings",
        "/knowledge/search?q=umowa",
        "/knowledge/must-read",
    ]


def _without(app: FastAPI, down: str) -> Backends:
    """The in-process services, but `down` at an address nobody listens on."""
    clients = {
        name: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=backend), base_url=f"http://{name}"
        )
        for name, backend in app.state.embedded_apps.items()
        if name != down
    }
    clients[down] = httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2)
    return Backends(clients)


@pytest.mark.parametrize("down", ["deals", "calendar", "planning", "knowledge"])
async def test_with_a_service_down_every_page_names_it_or_shows_the_rest(
    crm_app: tuple[FastAPI, httpx.AsyncClient], records: dict[str, str], down: str
) -> None:
    app, crm = crm_app
    working = app.state.backends
    app.state.backends = _without(app, down)
    try:
        answers = {path: await crm.get(path) for path in _pages_of_the_administrator(records)}
    finally:
        await app.state.backends.close()
        app.state.backends = working

    assert all(answer.status_code in (200, 503) for answer in answers.values()), {
        path: answer.status_code for path, answer in answers.items()
    }
    unavailable = {path: a for path, a in answers.items() if a.status_code == 503}
    assert unavailable, f"no page needed the {down} service"
    for path, answer in unavailable.items():
        assert f"The {LABELS[down]} service is not answering" in answer.text, path
        assert 'class="topbar"' in answer.text  # the rest of the CRM stays reachable


async def test_the_deal_page_stays_useful_without_the_calendar(
    crm_app: tuple[FastAPI, httpx.AsyncClient], records: dict[str, str]
) -> None:
    app, crm = crm_app
    working = app.state.backends
    app.state.backends = _without(app, "calendar")
    try:
        page = await crm.get(f"/deals/{records['deal']}")
    finally:
        await app.state.backends.close()
        app.state.backends = working

    assert page.status_code == 200 and "Formy" in page.text
    assert "The calendar service is not answering right now" in page.text


async def test_a_refusal_from_a_service_is_a_status_page_not_a_500(
    crm_app: tuple[FastAPI, httpx.AsyncClient], records: dict[str, str]
) -> None:
    _app, crm = crm_app

    bad_cursor = await crm.get("/companies", params={"cursor": "x"})
    missing = await crm.get(f"/companies/{uuid.uuid4()}")
    missing_deal = await crm.get(f"/deals/{uuid.uuid4()}")  # the deals service says "not found"
    malformed = await crm.get("/deals/not-a-deal")
    unknown = await crm.get("/no/such/page")
    in_page = await crm.get("/companies", params={"cursor": "x"}, headers={"HX-Request": "true"})

    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.text
    assert missing.status_code == 404 and "Nothing here" in missing.text
    assert missing_deal.status_code == 404 and "not found" not in missing_deal.text
    assert malformed.status_code == 404 and "Nothing here" in malformed.text
    assert "deal_id" not in malformed.text
    assert unknown.status_code == 404 and "<html" in unknown.text
    assert in_page.status_code == 422 and "crm:error" in in_page.headers["HX-Trigger"]


@pytest.fixture(scope="module")
async def staff(
    crm_app: tuple[FastAPI, httpx.AsyncClient], records: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in member of another department, as a browser, in a client of their own."""
    app, _crm = crm_app
    api = {"Authorization": records["Authorization"]}
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with client:
        department = await client.post("/api/departments", json={"name": "Logistyka"}, headers=api)
        body = {
            "email": "magazyn@contentum.pl",
            "name": "Magazyn",
            "password": PASSWORD,
            "role": "staff",
            "department_id": department.json()["id"],
        }
        assert (await client.post("/api/users", json=body, headers=api)).status_code == 201
        client.headers["X-CSRF-Token"] = await browser_sign_in(client, body["email"], PASSWORD)
        yield client


def _filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_staff_are_refused_every_sales_api(staff: httpx.AsyncClient) -> None:
    calls = [
        (method, _filled(route.path))
        for name in BACKENDS
        for router in SERVICES[name].spec.routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/")
        if route.path.split("/")[2] in SALES_ONLY and "/feeds/" not in route.path
        for method in route.methods or ()
    ]
    answers = {(m, p): (await staff.request(m, p, json={})).status_code for m, p in calls}

    assert {prefix for prefix, owner in ROUTES.items() if owner != "knowledge"} <= SALES_ONLY
    assert len(calls) > 60
    assert {call for call, status in answers.items() if status != 403} == set()


async def test_staff_are_refused_every_sales_page(staff: httpx.AsyncClient) -> None:
    pages = [
        (method, _filled(route.path))
        for router in web.ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        if not route.path.startswith("/api/") and route.path not in FOR_EVERYONE
        for method in route.methods or ()
    ]
    answers = {(m, p): (await staff.request(m, p)).status_code for m, p in pages}
    desk = await staff.get("/")

    assert len(pages) > 40
    assert {page for page, status in answers.items() if status != 403} == set()
    assert desk.status_code == 200 and 'href="/deals"' not in desk.text


def test_every_gateway_module_imports_in_a_fresh_interpreter() -> None:
    modules = sorted(
        ".".join(path.relative_to(GATEWAY.parents[1]).with_suffix("").parts).removesuffix(
            ".__init__"
        )
        for path in GATEWAY.rglob("*.py")
        if "migrations" not in path.parts
    )
    # Each module first, with every module of the project forgotten before it: an import cycle
    # shows whichever module starts it.
    script = "\n".join(
        [
            "import importlib, sys",
            "failed = []",
            f"for name in {modules!r}:",
            "    for loaded in [m for m in sys.modules if m.split('.')[0] == 'services']:",
            "        del sys.modules[loaded]",
            "    try:",
            "        importlib.import_module(name)",
            "    except Exception as error:",
            "        failed.append(f'{name}: {error!r}')",
            "print('\\n'.join(failed))",
        ]
    )

    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )

    assert len(modules) > 40
    assert run.returncode == 0 and run.stdout.strip() == "", run.stdout + run.stderr
