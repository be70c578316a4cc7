"""The plan grid's read model: a manager's clients by periods, each cell the client's own line and
what all its lines add up to there, and the clients kept in the grid before anything is planned."""

from typing import Any
from uuid import uuid4

import httpx

from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from tests.planning.test_lines import NORTH, SOUTH, client, line, person

THREE_MONTHS: dict[str, Any] = {"period": "month", "start_date": "2026-11-01", "count": 3}


async def test_each_cell_adds_up_the_clients_lines_of_every_size_by_their_days(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna = await person(bus, "manager", NORTH)
    orlen, lotos = await client(bus, "Orlen"), await client(bus, "Lotos")
    headers = identity_headers(anna)
    for body in (
        line(anna, orlen, period="week", start_date="2026-11-30", amount="700"),
        line(anna, orlen, period="week", start_date="2026-12-07", amount="70"),
        line(anna, lotos, start_date="2026-12-01", amount="1000"),
    ):
        assert (await planning.post("/api/plans/lines", json=body, headers=headers)).is_success

    grid = (
        await planning.get(
            "/api/plans/grid", params={**THREE_MONTHS, "manager_id": anna.user_id}, headers=headers
        )
    ).json()

    rows = {row["name"]: row for row in grid["rows"]}
    assert list(rows) == ["Lotos", "Orlen"]
    orlen_cells = [
        (c["planned"], c["prorated"], c["other_sizes"], c["line"]) for c in rows["Orlen"]["cells"]
    ]
    assert orlen_cells == [
        ("100.00", True, True, None),
        ("670.00", True, True, None),
        ("0.00", False, False, None),
    ]
    lotos_december = rows["Lotos"]["cells"][1]
    assert lotos_december["line"]["amount"] == "1000.00" and not lotos_december["other_sizes"]
    assert [c["total"] for c in grid["columns"]] == ["100.00", "1670.00", "0.00"]
    assert (rows["Orlen"]["total"], grid["total"]) == ("770.00", "1770.00")


async def test_a_client_kept_in_the_grid_stays_until_dropped_for_whoever_may_see_the_plan(
    planning: httpx.AsyncClient, bus: InProcessBus
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    piotr = await person(bus, "manager", SOUTH)
    orlen = await client(bus, "Orlen")
    keep = {"manager_id": anna.user_id, "company_id": orlen}

    kept = await planning.post("/api/plans/grid/clients", json=keep, headers=identity_headers(anna))
    again = await planning.post(
        "/api/plans/grid/clients", json=keep, headers=identity_headers(anna)
    )
    not_piotrs = await planning.post(
        "/api/plans/grid/clients", json=keep, headers=identity_headers(piotr)
    )
    unknown = await planning.post(
        "/api/plans/grid/clients",
        json={**keep, "company_id": str(uuid4())},
        headers=identity_headers(anna),
    )

    async def rows(who: Any) -> Any:
        answer = await planning.get(
            "/api/plans/grid",
            params={**THREE_MONTHS, "manager_id": anna.user_id},
            headers=identity_headers(who),
        )
        return answer.json()["rows"] if answer.is_success else answer.status_code

    seen_by_head = await rows(boss)
    hidden_from_piotr = await rows(piotr)
    await planning.delete(
        f"/api/plans/grid/clients/{orlen}",
        params={"manager_id": anna.user_id},
        headers=identity_headers(anna),
    )

    assert (kept.status_code, again.status_code) == (204, 204)
    assert (not_piotrs.status_code, unknown.status_code) == (403, 422)
    assert [(row["name"], row["kept"], row["total"]) for row in seen_by_head] == [
        ("Orlen", True, "0.00")
    ]
    assert hidden_from_piotr == 403
    assert await rows(anna) == []
