"""`/api/contacts`: found by name, e-mail or phone as people type them, a page at a time."""

from typing import Any

import httpx

from tests.deals.conftest import NORTH, company, headers


async def found(deals: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    page = (await deals.get("/api/contacts", params={"q": q, **params})).json()
    return [contact["name"] for contact in page["items"]]


async def test_contacts_are_found_by_name_e_mail_or_phone_whatever_the_diacritics(
    deals: httpx.AsyncClient,
) -> None:
    place = await company(deals)
    people = [
        {"name": "Łukasz Żółć", "email": "lukasz@huta.pl", "phone": "+48 600 100 200"},
        {"name": "Anna Nowak", "email": "ANNA@Stal.pl", "phone": "22-555-01-02"},
        {"name": "Jan_Kowalski", "company_id": place},
    ]
    made = [await deals.post("/api/contacts", json=person) for person in people]
    assert [answer.status_code for answer in made] == [201, 201, 201]
    one = await deals.get(f"/api/contacts/{made[2].json()['id']}")
    assert made[2].json()["company_name"] == one.json()["company_name"] == "Kowalski sp. z o.o."

    assert await found(deals, "lukasz zolc") == ["Łukasz Żółć"]
    assert await found(deals, "ŻÓŁĆ") == ["Łukasz Żółć"]
    assert await found(deals, "anna@stal") == ["Anna Nowak"]
    assert await found(deals, "600100") == ["Łukasz Żółć"]
    assert await found(deals, "555 01") == ["Anna Nowak"]
    assert await found(deals, "_") == ["Jan_Kowalski"]  # a wildcard is a letter
    assert await found(deals, "jan", company_id=place) == ["Jan_Kowalski"]
    [jan] = (await deals.get("/api/contacts", params={"q": "jan"})).json()["items"]
    assert jan["company_name"] == "Kowalski sp. z o.o."


async def test_a_search_pages_by_name(deals: httpx.AsyncClient) -> None:
    for name in ("Ewa Kos", "Adam Kos", "Celina Kos", "Bogdan Kot"):
        await deals.post("/api/contacts", json={"name": name})

    first = (await deals.get("/api/contacts", params={"q": "kos", "limit": 2})).json()
    rest = (
        await deals.get(
            "/api/contacts", params={"q": "kos", "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()

    assert [c["name"] for c in first["items"]] == ["Adam Kos", "Celina Kos"]
    assert ([c["name"] for c in rest["items"]], rest["next_cursor"]) == (["Ewa Kos"], None)


async def test_a_manager_changes_only_the_contacts_they_added(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    contact = (
        await deals.post("/api/contacts", json={"name": "Ola"}, headers=headers(anna))
    ).json()
    path = f"/api/contacts/{contact['id']}"

    refused = await deals.patch(path, json={"name": "X"}, headers=headers(piotr))
    not_archived = await deals.post(f"{path}/archive", headers=headers(piotr))
    changed = await deals.patch(path, json={"phone": "600 700 800"}, headers=headers(anna))

    assert refused.status_code == not_archived.status_code == 403
    assert changed.status_code == 200 and changed.json()["phone"] == "600 700 800"
