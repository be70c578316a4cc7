"""A plan line names a client its planner may see, by who reads customers."""

from uuid import uuid4

import httpx

from shared.auth import Identity
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers
from shared.testing.records import Announce, company_created, customer_access_changed
from tests.planning.test_lines import line, person


async def test_a_plan_line_or_grid_row_names_only_a_client_its_planner_sees(
    planning: httpx.AsyncClient, bus: InProcessBus, announce: Announce
) -> None:
    north, south = uuid4(), uuid4()
    anna, ola = await person(bus, "manager", north), await person(bus, "manager", south)
    boss = await person(bus, "head", north)
    olas = await announce(company_created(ola.user_id, "Ryby Ola"))
    await announce(customer_access_changed("group"))

    def as_(who: Identity) -> dict[str, str]:
        return identity_headers(who)

    by_anna = await planning.post("/api/plans/lines", json=line(anna, olas), headers=as_(anna))
    by_boss = await planning.post("/api/plans/lines", json=line(anna, olas), headers=as_(boss))
    kept = await planning.post(
        "/api/plans/grid/clients",
        json={"manager_id": anna.user_id, "company_id": olas},
        headers=as_(anna),
    )
    annas_clients = await planning.get("/api/plans/clients", headers=as_(anna))
    by_ola = await planning.post("/api/plans/lines", json=line(ola, olas), headers=as_(ola))
    olas_clients = await planning.get("/api/plans/clients", headers=as_(ola))

    for refused in (by_anna, by_boss, kept):
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"][-1] == "company_id"
    assert annas_clients.json()["items"] == []
    assert by_ola.status_code == 201, by_ola.text
    assert [c["id"] for c in olas_clients.json()["items"]] == [olas]
