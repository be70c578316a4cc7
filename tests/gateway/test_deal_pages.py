"""The deals pages over HTTP, with the whole CRM in process: board, list, company, deal."""

import re
from typing import Any

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.waiting import eventually
from tests.gateway.test_web import browser_sign_in, csrf_of


@pytest.fixture(scope="module")
async def deal(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, Any]:
    company = (await crm.post("/api/companies", json={"name": "Huta <Łabędy>"}, headers=api)).json()
    contact = {"name": "Jan Kowalski", "company_id": company["id"], "email": "jan@huta.pl"}
    await crm.post("/api/contacts", json=contact, headers=api)
    body = {"title": "Piec & walcarka", "company_id": company["id"], "amount": "1234.50"}
    created = (await crm.post("/api/deals", json=body, headers=api)).json()
    await crm.patch(f"/api/deals/{created['id']}", json={"amount": "2000"}, headers=api)
    await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    return created  # type: ignore[no-any-return]


async def test_the_board_shows_the_deal_in_its_stage_with_totals(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    page = await crm.get("/deals")

    assert page.status_code == 200
    assert f'data-deal-id="{deal["id"]}"' in page.text
    assert "Piec &amp; walcarka" in page.text  # escaped
    assert "PLN2,000.00" in page.text


async def test_a_card_shows_its_deal_as_it_is_now(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    before = await crm.get("/deals")
    csrf = {"X-CSRF-Token": csrf_of(before.text)}  # the browser's cookies go with the token
    await crm.patch(f"/api/deals/{deal['id']}", json={"title": "Piec nowy"}, headers=csrf)

    after = await crm.get("/deals")
    await crm.patch(f"/api/deals/{deal['id']}", json={"title": deal["title"]}, headers=csrf)

    assert "Piec &amp; walcarka" in before.text and "Piec nowy" not in before.text
    assert "Piec nowy" in after.text and "Piec &amp; walcarka" not in after.text


async def test_the_list_filters_by_amount(crm: httpx.AsyncClient, deal: dict[str, Any]) -> None:
    found = await crm.get("/deals/list", params={"amount_min": "1500"})
    none = await crm.get(
        "/deals/list", params={"amount_min": "5000"}, headers={"HX-Request": "true"}
    )

    assert "Piec &amp; walcarka" in found.text
    assert "No deals match." in none.text and "<html" not in none.text


async def test_the_deal_page_shows_the_audit_trail(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    page = await crm.get(f"/deals/{deal['id']}")

    assert "Amount: PLN1,234.50 → PLN2,000.00" in page.text  # labelled, as English writes money
    assert 'hx-confirm="Archive this deal?' in page.text
    assert "Huta &lt;Łabędy&gt;" in page.text


async def test_the_deal_page_keeps_links_apart_from_documents_each_under_a_name_of_its_own(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    page = await crm.get(f"/deals/{deal['id']}")

    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", page.text)
    ids = re.findall(r'id="([^"]+)"', page.text)
    assert headings.count("Links") == headings.count("Documents") == 1
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


async def test_the_deal_page_lists_its_people_and_a_knowledge_document_once(
    crm: httpx.AsyncClient, api: dict[str, str], deal: dict[str, Any]
) -> None:
    api = {**api, "X-CSRF-Token": csrf_of((await crm.get("/")).text)}  # `crm` has cookies now
    other = (await crm.post("/api/companies", json={"name": "Doradcy"}, headers=api)).json()
    person = {"name": "Ewa Doradca", "company_id": other["id"], "phone": "+48 600 100 200"}
    adviser = (await crm.post("/api/contacts", json=person, headers=api)).json()
    [own] = (
        await crm.get("/api/contacts", params={"company_id": deal["company_id"]}, headers=api)
    ).json()["items"]
    body = {"contact_ids": [own["id"], adviser["id"]]}
    assert (await crm.patch(f"/api/deals/{deal['id']}", json=body, headers=api)).status_code == 200
    offer = {"title": "Oferta", "url": "/knowledge/documents/0190a5f2-0000-7000-8000-000000000001"}
    await crm.post(f"/api/deals/{deal['id']}/documents", json=offer, headers=api)
    link = {"title": "Specyfikacja", "url": "https://docs.example.pl/spec.pdf"}
    await crm.post(f"/api/deals/{deal['id']}/documents", json=link, headers=api)

    page = (await crm.get(f"/deals/{deal['id']}")).text

    people = page[page.index('id="deal-contacts"') : page.index('id="deal-links"')]
    assert "Jan Kowalski" in people and "mailto:jan@huta.pl" in people
    assert "Ewa Doradca" in people and 'href="tel:+48 600 100 200"' in people
    links = page[page.index('id="deal-links"') :]
    links = links[: links.index("</ul>")]
    assert "Specyfikacja" in links and "Oferta" not in links  # the knowledge base's shows below


async def test_the_company_page_lists_its_deals(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    companies = await crm.get("/companies")
    page = await crm.get(f"/companies/{deal['company_id']}")

    assert "Huta &lt;Łabędy&gt;" in companies.text
    assert f'href="/deals/{deal["id"]}"' in page.text
    assert "Jan Kowalski" in page.text and "mailto:jan@huta.pl" in page.text


async def test_a_missing_deal_is_404(crm: httpx.AsyncClient, deal: dict[str, Any]) -> None:
    assert (await crm.get("/deals/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_the_administrator_sets_a_stages_requirements_on_the_pipelines_page(
    crm: httpx.AsyncClient, deal: dict[str, Any], api: dict[str, str]
) -> None:
    token = csrf_of((await crm.get("/admin/pipelines")).text)
    added = await crm.post(
        "/admin/fields",
        data={
            "record_type": "deal",
            "key": "decision_maker",
            "label": "Decision maker",
            "type": "text",
        },
        headers={"X-CSRF-Token": token},
    )
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()
    negotiation = next(s for s in pipeline["stages"] if s["name"] == "Negotiation")

    saved = await crm.post(
        f"/admin/pipelines/{pipeline['id']}/stages/{negotiation['id']}",
        data={"fields": ["amount", "decision_maker"], "document": "on"},
        headers={"X-CSRF-Token": token},
    )

    assert added.status_code == 200 and "decision_maker" in added.text
    assert saved.text == "Saved."
    [after] = (await crm.get("/api/pipelines", headers=api)).json()
    stage = next(s for s in after["stages"] if s["id"] == negotiation["id"])
    assert (stage["required_fields"], stage["document"], stage["completed_activity"]) == (
        ["amount", "decision_maker"],
        True,
        False,
    )


async def test_an_import_shows_its_progress_and_offers_the_rejected_rows(
    crm: httpx.AsyncClient, deal: dict[str, Any]
) -> None:
    token = csrf_of((await crm.get("/imports")).text)
    rows = "name;tax_id\r\nAlfa sp. z o.o.;\r\nBeta S.A.;1234567890\r\n"

    started = await crm.post(
        "/imports",
        data={"record_type": "company"},
        files={"file": ("firmy.csv", rows.encode(), "text/csv")},
        headers={"X-CSRF-Token": token},
    )
    job_id = re.search(r'hx-get="/imports/([0-9a-f-]+)"', started.text)

    async def finished() -> str:
        page = (await crm.get(f"/imports/{job_id.group(1)}")).text if job_id else started.text
        return "" if "every 1s" in page else page  # still polling: not finished

    page = await eventually(finished, timeout=20, interval=0.2)
    history = (await crm.get("/imports")).text
    assert started.status_code == 200
    assert "2 of 2 rows: 1 imported, 1 rejected" in page and "Import: done" in page
    assert "/rejected.csv" in page
    listed = history.split('id="import-history"')[1]
    assert "firmy.csv" in listed and "Companies" in listed and "done" in listed
    assert "No import yet." not in history  # above a list of imports, it said there was none
    refused = await crm.post(
        "/imports", data={"record_type": "company"}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 422 and "Choose a CSV file." in refused.text


async def test_the_administrator_adds_a_stage_on_the_pipelines_page(
    crm: httpx.AsyncClient, deal: dict[str, Any], api: dict[str, str]
) -> None:
    token = csrf_of((await crm.get("/admin/pipelines")).text)
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()

    added = await crm.post(
        f"/admin/pipelines/{pipeline['id']}/stages",
        data={"name": "Legal review", "probability": "85"},
        headers={"X-CSRF-Token": token},
    )
    twice = await crm.post(
        f"/admin/pipelines/{pipeline['id']}/stages",
        data={"name": "legal review", "probability": "85"},
        headers={"X-CSRF-Token": token},
    )

    assert added.status_code == 200 and 'value="Legal review"' in added.text
    assert twice.status_code == 422 and "this pipeline has a stage with this name" in twice.text
