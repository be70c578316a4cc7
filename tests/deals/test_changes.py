"""Incremental sync: `updated_since` pages through what changed, each record exactly once."""

from datetime import datetime
from typing import Any

import httpx

from shared.testing.changes import changed as paged
from shared.testing.changes import ids_once_in_order
from tests.deals.conftest import company


async def changed(
    deals: httpx.AsyncClient, path: str, since: str, during: Any = None, **params: Any
) -> list[Any]:
    """Every record `path` lists as changed since `since`, page by page, in order."""
    return await paged(lambda query: deals.get(path, params=query), since, during=during, **params)


async def test_paging_through_changes_returns_each_changed_company_once(
    deals: httpx.AsyncClient,
) -> None:
    old, kept, archived = [
        await company(deals, name) for name in ("Stara", "Bez Zmian", "Do Archiwum")
    ]
    since = (await deals.get(f"/api/companies/{kept}")).json()["updated_at"]
    new = [await company(deals, f"Nowa {n}") for n in range(5)]
    await deals.patch(f"/api/companies/{old}", json={"name": "Stara Zmieniona"})
    await deals.post(f"/api/companies/{archived}/archive")

    live = await changed(deals, "/api/companies", since)
    everything = await changed(deals, "/api/companies", since, include_archived="true")

    ids = [item["id"] for item in everything]
    assert len(ids) == len(set(ids))
    assert set(ids) == {kept, *new, old, archived}  # `kept` was made at `since` itself
    assert [item["id"] for item in live] == [i for i in ids if i != archived]
    times = [datetime.fromisoformat(item["updated_at"]) for item in everything]
    assert times == sorted(times)
    assert ids[-2:] == [old, archived]


async def test_paging_through_changed_deals_ignores_the_sort(deals: httpx.AsyncClient) -> None:
    place = await company(deals)
    made = []
    for n in range(5):
        answer = await deals.post("/api/deals", json={"title": f"D{n}", "company_id": place})
        made.append(answer.json())
    await deals.patch(f"/api/deals/{made[0]['id']}", json={"title": "D0 again"})

    listed = await changed(deals, "/api/deals", made[1]["updated_at"], sort="-title")

    assert [deal["id"] for deal in listed] == [d["id"] for d in made[1:]] + [made[0]["id"]]


async def test_paging_through_changed_contacts_meanwhile_changing_returns_each_once(
    deals: httpx.AsyncClient,
) -> None:
    place = await company(deals)

    async def contact(name: str) -> Any:
        answer = await deals.post("/api/contacts", json={"name": name, "company_id": place})
        assert answer.status_code == 201, answer.text
        return answer.json()

    made = [await contact(f"Osoba {n}") for n in range(5)]
    archived, first, second, third, fourth = (one["id"] for one in made)
    await deals.post(f"/api/contacts/{archived}/archive")
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        await deals.patch(f"/api/contacts/{third}", json={"position": "Prezes"})
        new.append((await contact("Osoba 5"))["id"])

    since = made[1]["updated_at"]
    everything = await changed(
        deals, "/api/contacts", since, during=meanwhile, include_archived="true"
    )
    live = await changed(deals, "/api/contacts", since)

    assert ids_once_in_order(everything) == [first, second, fourth, archived, third, *new]
    assert everything[3]["archived_at"] is not None and everything[4]["position"] == "Prezes"
    assert ids_once_in_order(live) == [first, second, fourth, third, *new]
