"""Incremental sync of requests and services: `updated_since` pages through what changed, each
record once, also when records change while a copy pages through them."""

from typing import Any

from shared.auth import Identity
from shared.testing.changes import changed, ids_once_in_order
from tests.knowledge.services_world import CREDIT_CHECK, World, world

__all__ = ["world"]


def lister(world: World, who: Identity, path: str) -> Any:
    return lambda params: world.knowledge.call(who, "GET", path, params=params)


async def test_paging_through_changed_requests_returns_each_once(world: World) -> None:
    made = [(await world.raise_credit_check()).json() for _ in range(5)]
    old, first, second, third, fourth = (request["id"] for request in made)
    since = made[1]["updated_at"]
    await world.step(world.clerk, old, "accept")
    unchanged = await world.knowledge.call(
        world.manager, "GET", "/api/requests", params={"updated_since": "2100-01-01T00:00:00Z"}
    )
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        comment = {"body": "Pilne"}
        answer = await world.knowledge.call(
            world.manager, "POST", f"/api/requests/{third}/comments", json=comment
        )
        assert answer.status_code == 201, answer.text
        new.append((await world.raise_credit_check()).json()["id"])

    listed = await changed(lister(world, world.manager, "/api/requests"), since, during=meanwhile)

    assert ids_once_in_order(listed) == [first, second, fourth, old, third, *new]
    assert listed[3]["status"] == "accepted"
    assert unchanged.json() == {"items": [], "next_cursor": None}


async def test_paging_through_changed_services_returns_each_once(world: World) -> None:
    async def publish(name: str) -> Any:
        body = {**CREDIT_CHECK, "name": name, "department_id": str(world.finance)}
        answer = await world.knowledge.call(world.admin, "POST", "/api/services", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    made = [await publish(f"Usługa {n}") for n in range(4)]
    off, first, second, third = (service["id"] for service in made)
    since = made[1]["updated_at"]
    switched = await world.knowledge.call(
        world.admin, "PATCH", f"/api/services/{off}", json={"active": False}
    )
    assert switched.status_code == 200, switched.text
    new: list[str] = []

    async def meanwhile() -> None:
        await world.knowledge.call(
            world.admin, "PATCH", f"/api/services/{third}", json={"name": "Usługa 3 nowa"}
        )
        new.append((await publish("Usługa 4"))["id"])

    by_admin = await changed(lister(world, world.admin, "/api/services"), since, during=meanwhile)
    by_manager = await changed(lister(world, world.manager, "/api/services"), since)

    assert ids_once_in_order(by_admin) == [first, second, off, third, *new]
    assert by_admin[2]["active"] is False
    assert ids_once_in_order(by_manager) == [first, second, third, *new]  # active ones only
