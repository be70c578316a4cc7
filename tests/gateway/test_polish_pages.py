"""A CRM first started by a Polish administrator speaks Polish on every page a seller works in:
no English word of the catalogue, no English name of what it created, no raw identifier."""

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po

from services.embedded import create_embedded_app, prepare_databases
from shared.i18n import CATALOGUES
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, TEST_SECRET, bearer, running
from shared.testing.waiting import eventually
from tests.gateway.test_web import browser_sign_in, csrf_of

# What the CRM names on its first start, as an English administrator's CRM calls it.
SEEDED_IN_ENGLISH = (
    "Sales",
    "Qualification",
    "Needs analysis",
    "Commercial offer sent",
    "Negotiation",
    "Won",
    "Lost",
    "Price",
    "Competitor",
    "No budget",
    "No decision",
    "Company",
)
# Words of other CRMs' default pipelines, should one ever come back.
OTHER_ENGLISH = ("Lead", "Qualified", "Proposal", "Closed won", "Closed lost")
UNTRANSLATED_PYDANTIC = ("Input should", "Field required", "Value error")
PLAN_START = "2026-12-01"


class VisibleText(HTMLParser):
    """The text a reader sees: text outside scripts and styles, and the attributes a browser
    shows or reads out (placeholder, title, aria-label, alt)."""

    SHOWN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        self.texts += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def english_msgids() -> set[str]:
    """The catalogue's English sentences and words that Polish says otherwise."""
    with (CATALOGUES / "pl" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="pl")
    found = set()
    for message in catalogue:
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        string = message.string
        strings = [string] if isinstance(string, str) else list(string or ())
        for msgid in ids:
            if msgid and "%(" not in msgid and msgid not in strings:
                found.add(msgid)
    return found


ENGLISH = english_msgids()
FRAGMENT = re.compile(r"\s*(?:[·:→()|,;]|\s—\s|\s-\s)\s*")


def english_on(html: str) -> set[str]:
    """The English a Polish reader would meet in `html`: a text, or a part of one between
    separators, that is an English msgid; an English name of what the CRM created."""
    found = set()
    for text in visible_texts(html):
        for part in [text, *FRAGMENT.split(text)]:
            if part.strip() in ENGLISH:
                found.add(part.strip())
        for name in (*SEEDED_IN_ENGLISH, *OTHER_ENGLISH, *UNTRANSLATED_PYDANTIC):
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                found.add(name)
    return found


def test_the_check_finds_english_when_there_is_some() -> None:
    page = (
        "<main><h1>Deals</h1><p>Etap: Qualification → Negocjacje</p>"
        '<input placeholder="name…"><p>Kwota · Amount</p>'
        "<script>var Deals = 1;</script><p>Transakcje</p></main>"
    )

    assert english_on(page) == {"Deals", "Qualification", "Amount", "name…"}
    assert english_on("<p>Umowy · Etap: Kwalifikacja → Negocjacje</p>") == set()


@pytest.fixture(scope="module")
async def polish_crm(pg_server: str) -> AsyncIterator[httpx.AsyncClient]:
    urls = await prepare_databases(pg_server, fresh=True)
    app = create_embedded_app(
        urls,
        identity_secret=TEST_SECRET,
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="pl",
    )
    async with running(app) as client:
        yield client


@pytest.fixture(scope="module")
async def records(polish_crm: httpx.AsyncClient) -> dict[str, Any]:
    """A deal with field changes, a custom field, a stage change and an outcome on its timeline;
    a manager's submitted plan line for its company. Then the administrator signs in."""
    crm = polish_crm
    api = await bearer(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    team = (await crm.post("/api/teams", json={"name": "Północ"}, headers=api)).json()
    manager = {
        "email": "marta@contentum.pl",
        "name": "Marta Kowalczyk",
        "password": "a long enough password",
        "role": "manager",
        "team_id": team["id"],
    }
    marta = (await crm.post("/api/users", json=manager, headers=api)).json()
    field = {"record_type": "deal", "key": "budzet", "label": "Budżet klienta", "type": "money"}
    assert (await crm.post("/api/fields", json=field, headers=api)).status_code == 201
    company = (await crm.post("/api/companies", json={"name": "Huta Łabędy"}, headers=api)).json()
    deal_body = {"title": "Dostawa stali", "company_id": company["id"]}
    deal = (await crm.post("/api/deals", json=deal_body, headers=api)).json()
    changes = {
        "amount": "250000",
        "expected_close_date": "2027-03-31",
        "custom": {"budzet": "10000"},
    }
    assert (await crm.patch(f"/api/deals/{deal['id']}", json=changes, headers=api)).is_success
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()
    second = pipeline["stages"][1]["id"]
    moved = await crm.patch(f"/api/deals/{deal['id']}", json={"stage_id": second}, headers=api)
    assert moved.is_success, moved.text
    await _report_a_call(crm, api, deal["id"])
    line = await _plan_a_line(crm, api, marta["id"], company["id"])
    await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    return {"deal": deal, "company": company, "manager": marta, "line": line}


async def _report_a_call(crm: httpx.AsyncClient, api: dict[str, str], deal_id: str) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    activity = {
        "kind": "call",
        "title": "Rozmowa o cenie",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=20)).isoformat(),
        "deal_id": deal_id,
    }
    created = (await crm.post("/api/activities", json=activity, headers=api)).json()
    report = {"result": "completed", "note": "Klient prosi o rabat."}
    path = f"/api/activities/{created['id']}/outcome"
    assert (await crm.post(path, json=report, headers=api)).status_code == 200

    async def on_the_timeline() -> bool:
        entries = (await crm.get(f"/api/deals/{deal_id}/timeline", headers=api)).json()
        return any(entry["kind"] == "outcome" for entry in entries)

    await eventually(on_the_timeline, timeout=10)


async def _plan_a_line(
    crm: httpx.AsyncClient, api: dict[str, str], manager_id: str, company_id: str
) -> dict[str, Any]:
    async def planning_knows_them() -> bool:
        clients = await crm.get("/api/plans/clients", headers=api)
        teams = await crm.get("/api/plans/teams", headers=api)
        return company_id in clients.text and manager_id in teams.text

    await eventually(planning_knows_them, timeout=10)
    body = {
        "manager_id": manager_id,
        "company_id": company_id,
        "period": "month",
        "start_date": PLAN_START,
        "amount": "1000.50",
    }
    line = (await crm.post("/api/plans/lines", json=body, headers=api)).json()
    submitted = await crm.post(f"/api/plans/lines/{line['id']}/submit", headers=api)
    assert submitted.is_success, submitted.text
    return line  # type: ignore[no-any-return]


def shown(html: str) -> str:
    """The page's visible text on one line, no-break spaces as spaces."""
    return " | ".join(visible_texts(html)).replace("\xa0", " ").replace("\u202f", " ")


async def test_the_timeline_names_fields_stages_and_outcomes_and_formats_values(
    polish_crm: httpx.AsyncClient, records: dict[str, Any]
) -> None:
    page = await polish_crm.get(f"/deals/{records['deal']['id']}")

    text = shown(page.text)
    assert page.status_code == 200
    assert "Kwota: — → 250 000,00 zł" in text
    assert "Przewidywana data zamknięcia: — → 31.03.2027" in text
    assert "Budżet klienta: — → 10 000,00 zł" in text
    assert "Etap: Kwalifikacja → Analiza potrzeb" in text
    assert "Prawdopodobieństwo: 10% → 25%" in text
    assert "Telefon: Rozmowa o cenie" in text and "(Zrealizowane)" in text
    assert "custom." not in text and records["deal"]["id"] not in text


@pytest.mark.parametrize(
    "page",
    [
        "/deals",
        "/deals/list",
        "/deal",
        "/company",
        f"/plans?period=month&start={PLAN_START}&manager=",
        f"/plans/review?period=month&start={PLAN_START}",
        f"/plans/groups?period=month&start={PLAN_START}",
        "/plans/settings",
    ],
)
async def test_no_english_on_a_polish_administrators_pages(
    polish_crm: httpx.AsyncClient, records: dict[str, Any], page: str
) -> None:
    path = {
        "/deal": f"/deals/{records['deal']['id']}",
        "/company": f"/companies/{records['company']['id']}",
    }.get(page, page)
    if path.endswith("manager="):
        path += records["manager"]["id"]

    answer = await polish_crm.get(path)

    assert answer.status_code == 200, answer.text
    assert '<html lang="pl">' in answer.text
    assert english_on(answer.text) == set()


async def test_a_plan_cell_shows_its_amount_as_polish_writes_money(
    polish_crm: httpx.AsyncClient, records: dict[str, Any]
) -> None:
    manager = records["manager"]["id"]
    grid = await polish_crm.get(f"/plans?period=month&start={PLAN_START}&manager={manager}")
    review = await polish_crm.get(f"/plans/review?period=month&start={PLAN_START}")

    assert "1 000,50 zł" in shown(grid.text) or 'value="1\xa0000,50"' in grid.text
    assert "1 000,50 zł" in shown(review.text)
    assert "1000.50" not in grid.text and "1000.50" not in review.text


async def test_pydantics_complaints_reach_the_api_and_the_pages_in_polish(
    polish_crm: httpx.AsyncClient, records: dict[str, Any]
) -> None:
    token = {"X-CSRF-Token": csrf_of((await polish_crm.get("/")).text)}  # signed in already
    signed = await polish_crm.post(
        "/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, headers=token
    )
    api = {"Authorization": f"Bearer {signed.json()['access_token']}"} | token
    body = {"title": "Zła kwota", "company_id": records["company"]["id"], "amount": "dużo"}
    by_api = await polish_crm.post("/api/deals", json=body, headers=api)
    own_api = await polish_crm.patch("/api/me", json={"locale": "de"}, headers=api)
    cell = {
        "manager_id": records["manager"]["id"],
        "company_id": records["company"]["id"],
        "period": "month",
        "start_date": "2027-01-01",
        "amount": "dużo",
    }
    page = await polish_crm.post("/plans/cell", data=cell, headers=token)

    assert by_api.status_code == 422
    assert by_api.json()["detail"][0] | {"input": None} == {
        "type": "decimal_parsing",
        "loc": ["body", "amount"],
        "msg": "Wpisz liczbę.",
        "input": None,
    }
    assert own_api.status_code == 422
    assert own_api.json()["detail"][0]["msg"] == "Wybierz jedno z: 'pl', 'en'."
    assert page.status_code == 422 and "Wpisz liczbę." in page.text


async def test_the_lists_tabs_agree_with_the_plural_of_what_they_list(
    polish_crm: httpx.AsyncClient, records: dict[str, Any]
) -> None:
    for path in ("/companies", "/contacts", "/deals/list"):
        answer = await polish_crm.get(path)
        tabs = answer.text.split("W archiwum</a>")[0].rsplit("<nav", 1)[-1]

        assert ">Bieżące</a>" in tabs and "Aktywny" not in tabs, path
