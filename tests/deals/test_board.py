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
