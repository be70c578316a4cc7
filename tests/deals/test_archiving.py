"""Archiving instead of deleting: companies, contacts and deals leave the lists and come back."""

from typing import Any

import httpx
from sqlalchemy import text

from tests.deals.conftest import NORTH, SOUTH, company, headers, pipeline
from tests.deals.test_deals import new_deal


async def outbox(deals: httpx.AsyncClient, like: str) -> list[tuple[str, dict[str, Any]]]:
    sessions = deals._transport.app.state.sessions  # type: ignore[attr-defined]
    query = text("SELECT type, envelope FROM outbox WHERE type LIKE :like ORDER BY id")
    async with sessions() as session:
        return [(row.type, row.envelope) for row in await session.execute(query, {"like": like})]


async def names(deals: httpx.AsyncClient, path: str, **params: Any) -> list[str]:
    page = (await deals.get(path, params=params)).json()
    return [item.get("name") or item.get("title") for item in page["items"]]


async def test_an_archived_company_leaves_the_list_is_listed_as_archived_and_comes_back(
    deals: httpx.AsyncClient,
) -> None:
    kept, gone = await company(deals, "Zostaje"), await company(deals, "Odchodzi")

    archived = await deals.post(f"/api/companies/{gone}/archive")
    again = await deals.post(f"/api/companies/{gone}/archive")
    listed, in_archive = (
        await names(deals, "/api/companies"),
        await names(deals, "/api/companies", archived="true"),
    )
    restored = await deals.post(f"/api/companies/{gone}/restore")

    assert archived.status_code == again.status_code == restored.status_code == 200
    assert archived.json()["archived_at"] and restored.json()["archived_at"] is None
    assert (listed, in_archive) == (["Zostaje"], ["Odchodzi"])
    assert await names(deals, "/api/companies") == ["Odchodzi", "Zostaje"]
    events = await outbox(deals, "crm.company.%")
    assert [type_ for type_, _ in events][-2:] == [
        "crm.company.archived.v1",
        "crm.company.restored.v1",
    ]  # asking twice announced once
    assert events[-1][1]["subject"] == gone and kept
    audit = (await deals.get(f"/api/companies/{gone}/timeline")).json()
    assert [(e["data"]["field"], bool(e["data"]["new"])) for e in audit[:-1]] == [
        ("archived", False),
        ("archived", True),
    ]
    assert audit[-1]["kind"] == "created"  # where the company's history begins


async def test_an_archived_contact_leaves_the_list_and_no_deal_may_take_it(
    deals: httpx.AsyncClient,
) -> None:
    place = await company(deals)
    contact = (
        await deals.post("/api/contacts", json={"name": "Jan Nowak", "company_id": place})
    ).json()

    archived = await deals.post(f"/api/contacts/{contact['id']}/archive")
    refused = await deals.post(
        "/api/deals", json={"title": "X", "company_id": place, "contact_ids": [contact["id"]]}
    )

    assert archived.json()["archived_at"]
    assert await names(deals, "/api/contacts", company_id=place) == []
    assert await names(deals, "/api/contacts", archived="true") == ["Jan Nowak"]
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "contact_ids"
    [(_, envelope)] = await outbox(deals, "crm.contact.archived.%")
    assert envelope["data"]["contact_id"] == contact["id"]
    audit = (await deals.get(f"/api/companies/{place}/timeline")).json()
    assert audit[0]["data"]["field"] == "contact.archived"
    assert audit[0]["data"]["contact"] == "Jan Nowak"


async def test_an_archived_deal_leaves_the_board_its_totals_and_the_list_and_is_announced(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    deal = await new_deal(deals, amount="500")
    kept = await new_deal(deals, amount="20")

    archived = await deals.post(f"/api/deals/{deal['id']}/archive")
    board = (await deals.get(f"/api/pipelines/{default['id']}/board")).json()
    moved = await deals.patch(f"/api/deals/{deal['id']}", json={"amount": "1"})
    listed = await names(deals, "/api/deals")
    in_archive = await names(deals, "/api/deals", archived="true")
    restored = await deals.post(f"/api/deals/{deal['id']}/restore")
    after = (await deals.get(f"/api/pipelines/{default['id']}/board")).json()

    first = board["columns"][0]
    assert [card["id"] for card in first["deals"]] == [kept["id"]]
    assert (first["count"], first["totals"]) == (1, [{"currency": "PLN", "amount": "20.00"}])
    assert moved.status_code == 409 and moved.json()["detail"][0]["loc"] == ["body", "archived"]
    assert (len(listed), len(in_archive)) == (1, 1)
    assert archived.json()["archived_at"] and restored.json()["archived_at"] is None
    assert after["columns"][0]["count"] == 2
    events = await outbox(deals, "crm.deal.%")
    assert [(t, e["data"]["archived"]) for t, e in events][-2:] == [
        ("crm.deal.archived.v1", True),
        ("crm.deal.restored.v1", False),
    ]


async def test_a_manager_archives_and_changes_only_own_deals_and_companies(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    boss, other_boss = await hire("head", NORTH), await hire("head", SOUTH)
    place = await deals.post("/api/companies", json={"name": "Anny"}, headers=headers(anna))
    deal = await new_deal(deals, headers(anna), company_id=place.json()["id"])
    path = f"/api/companies/{place.json()['id']}"

    not_hers = await deals.post(f"/api/deals/{deal['id']}/archive", headers=headers(piotr))
    company_refused = await deals.patch(path, json={"name": "X"}, headers=headers(piotr))
    archive_refused = await deals.post(f"{path}/archive", headers=headers(other_boss))
    by_head = await deals.patch(path, json={"name": "Anny i s-ka"}, headers=headers(boss))
    by_owner = await deals.post(f"/api/deals/{deal['id']}/archive", headers=headers(anna))

    assert not_hers.status_code == 404  # not hers to see
    assert company_refused.status_code == archive_refused.status_code == 403
    assert by_head.status_code == by_owner.status_code == 200


async def test_exports_of_companies_and_contacts_leave_the_archived_out(
    deals: httpx.AsyncClient,
) -> None:
    kept, gone = await company(deals, "Eksport Zostaje"), await company(deals, "Eksport Odchodzi")
    for name, place in (("Anna Zostaje", kept), ("Jan Odchodzi", gone), ("Ewa Odchodzi", kept)):
        await deals.post("/api/contacts", json={"name": name, "company_id": place})
    ewa = next(
        c["id"]
        for c in (await deals.get("/api/contacts")).json()["items"]
        if c["name"] == "Ewa Odchodzi"
    )
    await deals.post(f"/api/companies/{gone}/archive")
    await deals.post(f"/api/contacts/{ewa}/archive")

    companies = (await deals.get("/api/export/company.csv")).text
    contacts = (await deals.get("/api/export/contact.csv")).text

    assert "Eksport Zostaje" in companies and "Eksport Odchodzi" not in companies
    assert "Anna Zostaje" in contacts and "Ewa Odchodzi" not in contacts
