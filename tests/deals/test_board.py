"""The kanban board: columns per stage with counts and sums kept by running tallies."""

from typing import Any

import httpx

from tests.deals.conftest import NORTH, SOUTH, company, headers, pipeline


async def board(deals: httpx.AsyncClient, pipeline_id: str, **kwargs: Any) -> dict[str, Any]:
    answer = await deals.get(f"/api/pipelines/{pipeline_id}/board", **kwargs)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def column(found: dict[str, Any], position: int) -> dict[str, Any]:
    return next(c for c in found["columns"] if c["stage"]["position"] == position)


async def test_columns_count_and_sum_their_deals_and_follow_moves(deals: httpx.AsyncClient) -> None:
    default = await pipeline(deals)
    place = await company(deals)
    made = [
        (
            await deals.post(
                "/api/deals", json={"title": f"D{n}", "company_id": place, "amount": amount}
            )
        ).json()
        for n, amount in enumerate(["100.00", "250.50", "49.50"])
    ]
    await deals.post(
        "/api/deals", json={"title": "EUR", "company_id": place, "amount": "10", "currency": "EUR"}
    )

    await deals.patch(
        f"/api/deals/{made[0]['id']}",
        json={"stage_id": default["stages"][1]["id"], "amount": "150.00"},
    )

    found = await board(deals, default["id"])
    first, second = column(found, 1), column(found, 2)
    assert first["count"] == 3 and second["count"] == 1
    assert {(t["currency"], t["amount"]) for t in first["totals"]} == {
        ("PLN", "300.00"),
        ("EUR", "10.00"),
    }
    assert second["totals"] == [{"currency": "PLN", "amount": "150.00"}]
    assert [d["title"] for d in first["deals"]] == ["EUR", "D2", "D1"]
    assert [c["count"] for c in found["columns"][2:]] == [0, 0, 0, 0]


async def test_a_manager_board_counts_only_own_deals(deals: httpx.AsyncClient, hire: Any) -> None:
    default = await pipeline(deals)
    place = await company(deals)
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    for who in (anna, piotr, piotr):
        await deals.post(
            "/api/deals",
            json={"title": "x", "company_id": place, "amount": "1"},
            headers=headers(who),
        )

    annas = await board(deals, default["id"], headers=headers(anna))
    everyone = await board(deals, default["id"])

    assert column(annas, 1)["count"] == 1 and len(column(annas, 1)["deals"]) == 1
    assert column(everyone, 1)["count"] == 3


async def test_an_unknown_pipeline_is_404(deals: httpx.AsyncClient) -> None:
    answer = await deals.get("/api/pipelines/00000000-0000-0000-0000-000000000000/board")

    assert answer.status_code == 404


async def test_cards_carry_their_contacts_and_a_brief_board_only_what_a_card_shows(
    deals: httpx.AsyncClient,
) -> None:
    default = await pipeline(deals)
    place = await company(deals)
    contact = (
        await deals.post("/api/contacts", json={"name": "Jan Nowak", "company_id": place})
    ).json()
    made = (
        await deals.post(
            "/api/deals",
            json={"title": "Z kontaktem", "company_id": place, "contact_ids": [contact["id"]]},
        )
    ).json()

    full = column(await board(deals, default["id"]), 1)["deals"]
    brief = column(await board(deals, default["id"], params={"brief": "true"}), 1)["deals"]

    assert [card["contact_ids"] for card in full] == [[contact["id"]]]
    assert full[0]["id"] == made["id"] and made["contact_ids"] == [contact["id"]]
    assert set(brief[0]) == {
        "id",
        "title",
        "company_id",
        "owner_id",
        "amount",
        "currency",
        "expected_close_date",
        "stage_id",
        "company_name",
        "owner_name",
        "next_activity",
    }
    assert {k: v for k, v in full[0].items() if k in brief[0]} == brief[0]
