"""A person leaves: their open deals and customers go to a colleague in one go."""

from typing import Any

import httpx

from shared.bus import InProcessBus
from shared.testing.people import user_left
from tests.deals.conftest import NORTH, SOUTH, headers, pipeline, stage
from tests.deals.test_archiving import outbox
from tests.deals.test_customer_owners import added
from tests.deals.test_deals import new_deal


async def hand_over(deals: httpx.AsyncClient, who: Any, **body: Any) -> httpx.Response:
    return await deals.post("/api/deals/hand-over", json=body, headers=headers(who))


async def owner(deals: httpx.AsyncClient, path: str) -> str:
    answer = await deals.get(path)
    assert answer.status_code == 200, answer.text
    found: str = answer.json()["owner_id"]
    return found


async def test_a_leavers_open_deals_and_customers_go_to_a_colleague_closed_ones_stay(
    deals: httpx.AsyncClient, hire: Any, bus: InProcessBus
) -> None:
    anna, piotr, boss = (
        await hire("manager", NORTH),
        await hire("manager", NORTH),
        await hire("head", NORTH),
    )
    firm = await added(deals, anna, "/api/companies", name="Anny")
    shelved = await added(deals, anna, "/api/companies", name="Stara")
    person = await added(deals, anna, "/api/contacts", name="Jan", company_id=firm["id"])
    working = [await new_deal(deals, headers(anna), company_id=firm["id"]) for _ in range(2)]
    won, lost = [await new_deal(deals, headers(anna), company_id=firm["id"]) for _ in range(2)]
    default = await pipeline(deals)
    closing = {"amount": "5000", "expected_close_date": "2026-12-31"}
    for deal, change in (
        (won, {"stage_id": stage(default, "Won")["id"], **closing}),
        (lost, {"stage_id": stage(default, "Lost")["id"], "lost_reason": "Price"}),
    ):
        answer = await deals.patch(f"/api/deals/{deal['id']}", json=change, headers=headers(anna))
        assert answer.status_code == 200, answer.text
    assert (await deals.post(f"/api/companies/{shelved['id']}/archive")).status_code == 200
    await bus.publish([user_left(anna, NORTH)])

    answer = await hand_over(deals, boss, from_owner_id=anna.user_id, to_owner_id=piotr.user_id)

    def given(event: dict[str, Any]) -> bool:
        return bool(event["data"]["owner_id"] == piotr.user_id)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"deals": 2, "companies": 1, "contacts": 1}
    for deal in working:
        assert await owner(deals, f"/api/deals/{deal['id']}") == piotr.user_id
    for deal in (won, lost):
        assert await owner(deals, f"/api/deals/{deal['id']}") == anna.user_id
    assert await owner(deals, f"/api/companies/{firm['id']}") == piotr.user_id
    assert await owner(deals, f"/api/contacts/{person['id']}") == piotr.user_id
    assert await owner(deals, f"/api/companies/{shelved['id']}") == anna.user_id
    history = (await deals.get(f"/api/companies/{firm['id']}/timeline")).json()
    own = [e for e in history if e["deal_id"] is None and e["data"].get("field") == "owner_id"]
    assert [e["data"]["new"] for e in own] == [piotr.user_id]  # the company's own entry
    timeline = (await deals.get(f"/api/deals/{working[0]['id']}/timeline")).json()
    [change] = [item for item in timeline if item["kind"] == "field_changed"]
    assert change["data"] == {"field": "owner_id", "old": anna.user_id, "new": piotr.user_id}
    assert change["actor_id"] == boss.user_id
    announced = {
        kind: {e["data"][key] for t, e in await outbox(deals, kind) if given(e)}
        for kind, key in (
            ("crm.deal.updated.v1", "deal_id"),
            ("crm.company.updated.v1", "company_id"),
            ("crm.contact.updated.v1", "contact_id"),
        )
    }
    assert announced == {
        "crm.deal.updated.v1": {deal["id"] for deal in working},
        "crm.company.updated.v1": {firm["id"]},
        "crm.contact.updated.v1": {person["id"]},
    }


async def test_without_customers_only_the_deals_move(deals: httpx.AsyncClient, hire: Any) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    firm = await added(deals, anna, "/api/companies", name="Anny")
    deal = await new_deal(deals, headers(anna), company_id=firm["id"])

    answer = await deals.post(
        "/api/deals/hand-over",
        json={"from_owner_id": anna.user_id, "to_owner_id": piotr.user_id, "customers": False},
    )

    assert answer.json() == {"deals": 1, "companies": 0, "contacts": 0}
    assert await owner(deals, f"/api/deals/{deal['id']}") == piotr.user_id
    assert await owner(deals, f"/api/companies/{firm['id']}") == anna.user_id


async def test_only_an_administrator_or_the_head_within_the_group_hands_over_and_all_or_nothing(
    deals: httpx.AsyncClient, hire: Any, bus: InProcessBus
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    ola, boss, other_boss = (
        await hire("manager", SOUTH),
        await hire("head", NORTH),
        await hire("head", SOUTH),
    )
    gone = await hire("manager", NORTH)
    await bus.publish([user_left(gone, NORTH)])
    firm = await added(deals, anna, "/api/companies", name="Anny")
    deal = await new_deal(deals, headers(anna), company_id=firm["id"])
    from_anna = {"from_owner_id": anna.user_id}

    by_herself = await hand_over(deals, anna, **from_anna, to_owner_id=piotr.user_id)
    by_a_colleague = await hand_over(deals, piotr, **from_anna, to_owner_id=piotr.user_id)
    by_another_head = await hand_over(deals, other_boss, **from_anna, to_owner_id=ola.user_id)
    out_of_group = await hand_over(deals, boss, **from_anna, to_owner_id=ola.user_id)
    to_a_leaver = await hand_over(deals, boss, **from_anna, to_owner_id=gone.user_id)
    to_herself = await hand_over(deals, boss, **from_anna, to_owner_id=anna.user_id)
    not_an_id = await hand_over(deals, boss, **from_anna, to_owner_id="anna")

    assert by_herself.status_code == by_a_colleague.status_code == 403
    assert by_another_head.status_code == out_of_group.status_code == 403
    assert to_a_leaver.status_code == 422 and "active" in to_a_leaver.text
    assert to_a_leaver.json()["detail"][0]["loc"][-1] == "to_owner_id"
    assert to_herself.status_code == 422
    assert to_herself.json()["detail"][0]["loc"][-1] == "to_owner_id"
    assert (
        not_an_id.status_code == 422 and not_an_id.json()["detail"][0]["loc"][-1] == "to_owner_id"
    )
    assert await owner(deals, f"/api/deals/{deal['id']}") == anna.user_id
    assert await owner(deals, f"/api/companies/{firm['id']}") == anna.user_id
    assert await outbox(deals, "crm.deal.updated.v1") == []
