"""The pages of company services and requests, in the whole CRM in process: the designer, a
request raised from a deal with its inputs filled in, the department's queue, the steps, the
output on the deal's timeline."""

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.knowledge.usecases import requests
from services.knowledge.usecases.requests import Origin
from services.knowledge.usecases.sla import watch_deadlines
from shared.auth import Identity
from shared.testing.waiting import eventually
from tests.gateway.conftest import PASSWORD, Browser, browser_sign_in

pytestmark = pytest.mark.usefixtures("people")


@pytest.fixture(scope="module")
async def finance(crm: httpx.AsyncClient, api: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
    """A finance department with a clerk in a browser of their own."""
    department = (await crm.post("/api/departments", json={"name": "Finanse"}, headers=api)).json()
    body = {
        "email": "ksiegowa@contentum.pl",
        "name": "Krystyna Księgowa",
        "password": PASSWORD,
        "role": "staff",
        "department_id": department["id"],
        "locale": "en",
    }
    assert (await crm.post("/api/users", json=body, headers=api)).status_code == 201
    app = crm._transport.app  # type: ignore[attr-defined]
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    clerk = Browser(client, await browser_sign_in(client, body["email"], PASSWORD))
    yield {"department": department, "clerk": clerk}
    await client.aclose()


DESIGN = {
    "name": "Weryfikacja kredytowa",
    "sla_hours": "8",
    "description": "",
    "requesters": "everyone",
    "inputs.label": ["Klient", "Kwota", "Cel"],
    "inputs.key": ["", "", ""],
    "inputs.type": ["company", "money", "text"],
    "inputs.required": ["true", "true", "true"],
    "inputs.options": ["", "", ""],
    "inputs.minimum": ["", "1000", ""],
    "inputs.maximum": ["", "", ""],
    "inputs.pattern": ["", "", ""],
    "inputs.prefill": ["company", "deal.amount", ""],
    "inputs.help": ["", "", ""],
    "outputs.label": ["Decyzja", "Limit"],
    "outputs.key": ["decyzja", ""],
    "outputs.type": ["select", "money"],
    "outputs.required": ["true", "false"],
    "outputs.options": ["approved, rejected", ""],
    "outputs.minimum": ["", ""],
    "outputs.maximum": ["", ""],
    "outputs.pattern": ["", ""],
    "outputs.prefill": ["", ""],
    "outputs.help": ["", ""],
}


async def test_a_service_designed_in_the_pages_is_requested_from_a_deal_and_delivered(
    people: dict[str, Browser], finance: dict[str, Any]
) -> None:
    admin, anna, clerk = people["admin"], people["anna"], finance["clerk"]
    preview = await admin.post("/services/preview", DESIGN)
    saved = await admin.post("/services", {**DESIGN, "department_id": finance["department"]["id"]})
    catalogue = await anna.get("/services")
    [service_id] = re.findall(r"/requests/new\?service_id=([0-9a-f-]+)", catalogue.text)

    company = await anna.post("/companies", {"name": "Huta Łabędy", "tax_id": ""})
    company_id = company.headers["HX-Redirect"].rsplit("/", 1)[1]
    deal_page = await anna.post(
        "/deals", {"title": "Stal", "company_id": company_id, "amount": "250000", "currency": "PLN"}
    )
    deal_id = deal_page.headers["HX-Redirect"].rsplit("/", 1)[1]
    form = await anna.get(f"/requests/new?service_id={service_id}&deal_id={deal_id}")
    fields = {"service_id": service_id, "deal_id": deal_id, "company_id": company_id}
    refused = await anna.post(
        "/requests", {**fields, "field.klient": company_id, "field.kwota": "250000"}
    )
    raised = await anna.post(
        "/requests",
        {**fields, "field.klient": company_id, "field.kwota": "250000", "field.cel": "oferta"},
    )

    assert preview.status_code == 200 and 'name="preview.kwota"' in preview.text
    assert saved.headers.get("HX-Redirect") == "/services", saved.text
    assert f'<option value="{company_id}" selected>Huta Łabędy</option>' in form.text
    assert 'value="250000.00"' in form.text
    assert refused.status_code == 422
    assert 'class="invalid"' in refused.text and "fill in this field" in refused.text
    request_path = raised.headers["HX-Redirect"]

    queue = await clerk.get("/requests")
    taken = await clerk.post(f"{request_path}/accept")
    missing = await clerk.post(f"{request_path}/deliver", {"field.limit": "1000"})
    delivered = await clerk.post(
        f"{request_path}/deliver", {"field.decyzja": "approved", "field.limit": "100000"}
    )
    page = await anna.get(request_path)
    deal = await anna.get(f"/deals/{deal_id}")
    deal_requests = await anna.get(f"/requests/deals/{deal_id}")

    assert request_path.removeprefix("/requests/") in queue.text and "Take it" in queue.text
    assert taken.headers.get("HX-Redirect") == request_path
    assert missing.status_code == 422 and "fill in this field" in missing.text
    assert delivered.headers.get("HX-Redirect") == request_path
    assert "What was delivered" in page.text and "approved" in page.text
    assert "Request delivered" in deal.text and "Decyzja: approved" in deal.text
    history = deal.text[deal.text.index('class="timeline"') :]
    assert history.count("Weryfikacja kredytowa") == 1  # the entry, not again as a note
    assert "Weryfikacja kredytowa" in deal_requests.text


async def test_staff_find_their_queue_on_the_desk_and_sellers_their_own_requests(
    people: dict[str, Browser], finance: dict[str, Any]
) -> None:
    clerk_desk = await finance["clerk"].get("/desk/widgets/department_queue")
    seller_desk = await people["piotr"].get("/desk/widgets/my_requests")
    clerk_page = await finance["clerk"].get("/")
    load = await finance["clerk"].get("/requests/load")
    by_seller = await people["piotr"].get("/requests/load")
    by_admin = await people["admin"].get("/requests/load")  # who is in no department
    finance_id = finance["department"]["id"]
    chosen = await people["admin"].get("/requests/load", params={"department_id": finance_id})

    assert 'href="/requests?view=queue"' in clerk_desk.text
    assert 'href="/requests/new"' in seller_desk.text
    assert 'id="widget-department_queue"' in clerk_page.text
    assert load.status_code == 200 and "Finanse" in load.text
    assert by_seller.status_code == 403
    assert by_admin.status_code == 200 and '<select name="department_id">' in by_admin.text
    assert chosen.status_code == 200 and f'<option value="{finance_id}" selected>' in chosen.text
    assert "<h2>Finanse</h2>" in chosen.text


async def test_the_global_search_finds_a_request_for_its_requester_and_department_only(
    people: dict[str, Browser], finance: dict[str, Any]
) -> None:
    def requests_in(answer: httpx.Response) -> list[str]:
        groups = {group["kind"]: group["items"] for group in answer.json()["groups"]}
        return ["".join(p["text"] for p in hit["title"]) for hit in groups.get("request", [])]

    anna = await people["anna"].get("/api/search", params={"q": "weryfikacja"})
    by_deal = await people["anna"].get("/api/search", params={"q": "huta labedy"})
    clerk = await finance["clerk"].get("/api/search", params={"q": "weryfik"})
    ewa = await people["ewa"].get("/api/search", params={"q": "weryfikacja"})

    assert requests_in(anna) == ["Weryfikacja kredytowa"]
    assert requests_in(by_deal) == ["Weryfikacja kredytowa"]
    assert requests_in(clerk) == ["Weryfikacja kredytowa"]
    assert requests_in(ewa) == []


async def test_the_administrator_names_a_departments_head_and_hours(
    people: dict[str, Browser], finance: dict[str, Any]
) -> None:
    admin = people["admin"]
    department = finance["department"]["id"]
    page = await admin.get(f"/admin/departments/{department}")
    week = {f"start_{day}": "07:00" for day in range(5)} | {
        f"end_{day}": "15:00" for day in range(5)
    }
    wrong = await admin.post(
        f"/admin/departments/{department}/settings",
        {"name": "Finanse", "start_0": "15:00", "end_0": "07:00", "start_1": "08:00"},
    )
    saved = await admin.post(
        f"/admin/departments/{department}/settings", {"name": "Finanse", **week}
    )

    assert page.status_code == 200 and "Krystyna Księgowa" in page.text
    assert wrong.status_code == 422
    rows = re.findall(r"<tr( class=\"invalid\")?>(.*?)</tr>", wrong.text, re.S)
    days = [(bool(invalid), row) for invalid, row in rows if 'name="start_' in row]
    assert [invalid for invalid, _ in days] == [True, True, False, False, False, False, False]
    assert "the day must end after it starts" in days[0][1]
    assert 'class="error"' in days[1][1]
    assert saved.headers.get("HX-Redirect") == "/admin/departments"


async def test_a_request_past_its_sla_tells_the_departments_head_once(
    crm: httpx.AsyncClient, api: dict[str, str], people: dict[str, Browser], finance: dict[str, Any]
) -> None:
    """From knowledge's scheduler through the event to the head's bell, in the whole CRM: raised
    on Friday 3 April 2026 at 14:00 before Easter Monday, due Tuesday at 14:00."""
    app = crm._transport.app  # type: ignore[attr-defined]
    sessions = app.state.embedded_apps["knowledge"].state.sessions
    users = (await crm.get("/api/users", headers=api, params={"limit": 200})).json()["items"]
    by_email = {u["email"]: u for u in users}
    clerk, anna = by_email["ksiegowa@contentum.pl"], by_email["anna@contentum.pl"]
    department = finance["department"]["id"]
    named = await crm.patch(
        f"/api/departments/{department}", json={"head_id": clerk["id"]}, headers=api
    )
    assert named.status_code == 200, named.text
    service = await crm.post(
        "/api/services",
        json={"department_id": department, "name": "Wycena transportu", "sla_hours": 8},
        headers=api,
    )
    requester = Identity(
        user_id=anna["id"], role="manager", team_ids=[anna["team_id"]], locale="en"
    )
    friday = datetime(2026, 4, 3, 14, tzinfo=ZoneInfo("Europe/Warsaw"))
    raised = await requests.submit_request(
        sessions,
        identity=requester,
        service_id=UUID(service.json()["id"]),
        inputs={},
        origin=Origin(),
        comment="",
        now=friday,
    )

    tuesday = datetime(2026, 4, 7, 14, 1, tzinfo=ZoneInfo("Europe/Warsaw"))
    first = await watch_deadlines(sessions, now=tuesday)
    again = await watch_deadlines(sessions, now=tuesday + timedelta(hours=1))

    async def told() -> list[Any]:
        found = await finance["clerk"].get("/api/notifications")
        overdue = [n for n in found.json()["items"] if n["title"].startswith("Request overdue")]
        return overdue

    [notice] = await eventually(told, timeout=10, interval=0.1)
    assert (first, again) == (2, 0)  # the warning and the breach, each once
    assert raised.due_at == datetime(2026, 4, 7, 14, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert notice["title"] == "Request overdue: Wycena transportu"
    assert len(await told()) == 1
    assert notice["link"] == f"/requests/{raised.id}"
