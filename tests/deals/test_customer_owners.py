"""Companies and contacts have an owner (the account manager): who changes them, who reads them."""

from typing import Any

import httpx

from tests.deals.conftest import NORTH, SOUTH, headers
from tests.deals.test_archiving import outbox
from tests.deals.test_deals import new_deal


async def added(deals: httpx.AsyncClient, who: Any, path: str, **body: Any) -> dict[str, Any]:
    answer = await deals.post(path, json=body, headers=headers(who))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def test_a_customer_belongs_to_whoever_added_it_until_a_head_gives_it_to_another(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    boss, other_boss = await hire("head", NORTH), await hire("head", SOUTH)
    firm = await added(deals, anna, "/api/companies", name="Anny")
    path = f"/api/companies/{firm['id']}"

    given_away = await deals.patch(path, json={"owner_id": piotr.user_id}, headers=headers(anna))
    not_his = await deals.patch(path, json={"owner_id": piotr.user_id}, headers=headers(other_boss))
    given = await deals.patch(path, json={"owner_id": piotr.user_id}, headers=headers(boss))
    by_creator = await deals.patch(path, json={"name": "X"}, headers=headers(anna))
    archived_by_creator = await deals.post(f"{path}/archive", headers=headers(anna))
    by_owner = await deals.patch(path, json={"name": "Piotra"}, headers=headers(piotr))

    assert firm["owner_id"] == anna.user_id
    assert given_away.status_code == not_his.status_code == 403
    assert given.status_code == 200 and given.json()["owner_id"] == piotr.user_id
    assert by_creator.status_code == archived_by_creator.status_code == 403
    assert by_owner.status_code == 200
    updated = [e["data"] for t, e in await outbox(deals, "crm.company.updated.v1")]
    assert [e["owner_id"] for e in updated] == [piotr.user_id, piotr.user_id]
    timeline = (await deals.get(f"{path}/timeline")).json()
    [given_entry] = [e for e in timeline if e["data"].get("field") == "owner_id"]
    assert (given_entry["data"]["old"], given_entry["data"]["new"]) == (anna.user_id, piotr.user_id)
    assert given_entry["actor_id"] == boss.user_id


async def test_a_head_gives_customers_only_to_active_people_of_the_group(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    boss, ola = await hire("head", NORTH), await hire("manager", SOUTH)

    elsewhere = await deals.post(
        "/api/contacts", json={"name": "Ewa", "owner_id": ola.user_id}, headers=headers(boss)
    )
    nobody = await deals.post(
        "/api/companies", json={"name": "Nikogo", "owner_id": boss.team_ids[0]}
    )  # an administrator, but not a person's id

    assert elsewhere.status_code == 403
    assert nobody.status_code == 422 and nobody.json()["detail"][0]["loc"][-1] == "owner_id"


async def test_with_group_reading_only_the_owners_group_sees_a_customer_or_names_it(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    ola, north_boss = await hire("manager", SOUTH), await hire("head", NORTH)
    firm = await added(deals, anna, "/api/companies", name="Anny", tax_id="5260250274")
    person = await added(deals, anna, "/api/contacts", name="Jan", company_id=firm["id"])
    seen_by_all = await deals.get(f"/api/companies/{firm['id']}", headers=headers(ola))

    refused = await deals.put(
        "/api/companies/access", json={"readers": "group"}, headers=headers(north_boss)
    )
    chosen = await deals.put("/api/companies/access", json={"readers": "group"})

    def listed(who: Any, path: str) -> Any:
        return deals.get(path, headers=headers(who))

    for who in (piotr, north_boss):
        assert (await listed(who, f"/api/companies/{firm['id']}")).status_code == 200
        assert (await listed(who, f"/api/contacts/{person['id']}")).status_code == 200
    assert (await listed(ola, f"/api/companies/{firm['id']}")).status_code == 404
    assert (await listed(ola, f"/api/contacts/{person['id']}")).status_code == 404
    assert (await listed(ola, "/api/companies")).json()["items"] == []
    assert (await listed(ola, "/api/contacts")).json()["items"] == []
    nip = await listed(ola, "/api/companies/nip-check?tax_id=5260250274")
    assert nip.json()["company"] is None
    deal = await deals.post(
        "/api/deals",
        json={"title": "Cudza", "company_id": firm["id"], "contact_ids": [person["id"]]},
        headers=headers(ola),
    )
    assert deal.status_code == 422
    assert {e["loc"][-1] for e in deal.json()["detail"]} == {"company_id", "contact_ids"}
    assert seen_by_all.status_code == 200
    assert refused.status_code == 403 and chosen.json() == {"readers": "group"}
    assert await new_deal(deals, headers(piotr), company_id=firm["id"])


async def test_staff_of_other_departments_see_no_customers(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    lawyer = await hire("staff", None)
    firm = await added(deals, await hire("manager", NORTH), "/api/companies", name="Cicha")

    listed = await deals.get("/api/companies", headers=headers(lawyer))
    one = await deals.get(f"/api/companies/{firm['id']}", headers=headers(lawyer))

    assert listed.json()["items"] == [] and one.status_code == 404


async def test_who_reads_customers_is_announced_once_per_change(deals: httpx.AsyncClient) -> None:
    for readers in ("group", "group", "sales"):
        assert (await deals.put("/api/companies/access", json={"readers": readers})).is_success

    events = await outbox(deals, "crm.customer_access.changed.v1")

    assert [e["data"]["readers"] for _, e in events] == ["group", "sales"]
    assert (await deals.get("/api/companies/access")).json() == {"readers": "sales"}
