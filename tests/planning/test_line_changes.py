"""Incremental sync of plan lines: `updated_since` pages through what changed, each line once,
also when lines change while a copy pages through them."""

from typing import Any
from uuid import uuid4

import httpx

from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from shared.testing.changes import changed, ids_once_in_order
from tests.planning.test_lines import client, line, person


async def test_paging_through_changed_lines_returns_each_once(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    team = uuid4()
    anna = await person(bus, "manager", team)
    as_anna = identity_headers(anna)

    async def plan(n: int) -> Any:
        body = line(anna, await client(bus, f"Klient {n}"), amount=str(1000 + n))
        answer = await planning.post("/api/plans/lines", json=body, headers=as_anna)
        assert answer.status_code == 201, answer.text
        return answer.json()

    made = [await plan(n) for n in range(5)]
    submitted, first, second, third, fourth = (one["id"] for one in made)
    since = made[1]["updated_at"]
    await planning.post(f"/api/plans/lines/{submitted}/submit", headers=as_anna)
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        changed_amount = await planning.patch(
            f"/api/plans/lines/{third}", json={"amount": "5000"}, headers=as_anna
        )
        assert changed_amount.status_code == 200, changed_amount.text
        new.append((await plan(5))["id"])

    listed = await changed(
        lambda params: planning.get("/api/plans/lines", params=params, headers=as_anna),
        since,
        during=meanwhile,
    )

    assert ids_once_in_order(listed) == [first, second, fourth, submitted, third, *new]
    assert listed[3]["status"] == "submitted" and listed[4]["amount"] == "5000.00"
