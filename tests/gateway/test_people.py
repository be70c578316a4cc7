"""Users, sales groups and departments through the public API."""

from typing import Any

import httpx

from shared.testing.changes import changed, ids_once_in_order
from tests.gateway.conftest import PASSWORD, add_team, add_user


async def test_a_user_is_created_in_a_group_and_the_email_is_unique_in_any_case(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    team = await add_team(gateway, admin, name="Południe")
    user = await add_user(
        gateway, admin, email="Ewa@Contentum.pl", role="manager", team_id=team["id"]
    )

    again = await gateway.post(
        "/api/users",
        json={
            "email": "ewa@contentum.PL",
            "name": "Ewa 2",
            "password": PASSWORD,
            "team_id": team["id"],
        },
        headers=admin,
    )

    assert user["email"] == "ewa@contentum.pl" and user["team_id"] == team["id"]
    assert user["locale"] == "pl" and user["time_zone"] == "Europe/Warsaw"
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"] == ["body", "email"]


async def test_placement_rules_name_the_wrong_field(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"role": "staff"}, "department_id"),
        ({"role": "manager", "team_id": "00000000-0000-0000-0000-000000000000"}, "team_id"),
        ({"role": "manager", "password": "short"}, "password"),
        ({"role": "manager", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"role": "boss"}, "role"),
        ({"email": "not-an-email"}, "email"),
    ]
    for fields, field in cases:
        body = {"email": "new@contentum.pl", "name": "New", "password": PASSWORD, **fields}
        answer = await gateway.post("/api/users", json=body, headers=admin)
        assert answer.status_code == 422, (fields, answer.text)
        assert field in [error["loc"][-1] for error in answer.json()["detail"]], (
            fields,
            answer.text,
        )


async def test_staff_belong_to_a_department(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    legal = await gateway.post("/api/departments", json={"name": "Dział prawny"}, headers=admin)
    twice = await gateway.post("/api/departments", json={"name": "dział PRAWNY"}, headers=admin)

    staff = await add_user(
        gateway, admin, email="prawnik@contentum.pl", role="staff", department_id=legal.json()["id"]
    )

    assert twice.status_code == 409
    assert staff["department_id"] == legal.json()["id"]
    assert [d["name"] for d in (await gateway.get("/api/departments", headers=admin)).json()] == [
        "Dział prawny"
    ]


async def test_groups_form_a_tree_that_cannot_loop(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    north = await add_team(gateway, admin, name="Północ")
    gdansk = await add_team(gateway, admin, name="Gdańsk", parent_id=north["id"])

    loop = await gateway.patch(
        f"/api/teams/{north['id']}", json={"parent_id": gdansk["id"]}, headers=admin
    )
    root_move = await gateway.patch(
        f"/api/teams/{company}", json={"parent_id": north["id"]}, headers=admin
    )

    assert north["parent_id"] == company
    assert loop.status_code == 422 and loop.json()["detail"][0]["loc"] == ["body", "parent_id"]
    assert root_move.status_code == 422


async def test_a_head_sees_the_people_of_the_groups_subtree_only(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    north = await add_team(gateway, admin, name="Północ")
    gdansk = await add_team(gateway, admin, name="Gdańsk", parent_id=north["id"])
    south = await add_team(gateway, admin, name="Południe")
    head = await add_user(
        gateway, admin, email="szef@contentum.pl", role="head", team_id=north["id"]
    )
    await gateway.patch(f"/api/teams/{north['id']}", json={"head_id": head["id"]}, headers=admin)
    near = await add_user(
        gateway, admin, email="blisko@contentum.pl", role="manager", team_id=gdansk["id"]
    )
    far = await add_user(
        gateway, admin, email="daleko@contentum.pl", role="manager", team_id=south["id"]
    )
    from shared.testing.apps import bearer

    boss = await bearer(gateway, "szef@contentum.pl", PASSWORD)
    listed = (await gateway.get("/api/users", headers=boss)).json()["items"]

    assert {u["email"] for u in listed} == {"szef@contentum.pl", "blisko@contentum.pl"}
    assert (await gateway.get(f"/api/users/{near['id']}", headers=boss)).status_code == 200
    assert (await gateway.get(f"/api/users/{far['id']}", headers=boss)).status_code == 404


async def test_the_last_administrator_cannot_be_deactivated(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    me = (await gateway.get("/api/me", headers=admin)).json()

    answer = await gateway.patch(f"/api/users/{me['id']}", json={"active": False}, headers=admin)

    assert answer.status_code == 422
    assert (await gateway.get("/api/me", headers=admin)).status_code == 200


async def test_users_change_their_own_language(
    gateway: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    answer = await gateway.patch("/api/me", json={"locale": "en"}, headers=admin)

    assert answer.json()["locale"] == "en"
    assert (await gateway.patch("/api/me", json={"locale": "de"}, headers=admin)).status_code == 422


async def test_paging_through_changed_users_returns_each_once(
    gateway: httpx.AsyncClient, admin: dict[str, str], company: str
) -> None:
    team = await add_team(gateway, admin, name="Synchronizacja")
    made = [
        await add_user(gateway, admin, email=f"sync{n}@contentum.pl", team_id=team["id"])
        for n in range(5)
    ]
    leaver, first, second, third, fourth = (user["id"] for user in made)
    since = made[1]["updated_at"]
    gone = await gateway.patch(f"/api/users/{leaver}", json={"active": False}, headers=admin)
    assert gone.status_code == 200, gone.text
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        renamed = await gateway.patch(f"/api/users/{third}", json={"name": "Nowa"}, headers=admin)
        assert renamed.status_code == 200, renamed.text
        new.append((await add_user(gateway, admin, email="sync5@contentum.pl"))["id"])

    def listing(params: dict[str, Any]) -> Any:
        return gateway.get("/api/users", params=params, headers=admin)

    everyone = await changed(listing, since, during=meanwhile)
    active = await changed(listing, since, active="true")
    teams = await gateway.get("/api/teams", params={"updated_since": since}, headers=admin)
    later = await gateway.get(
        "/api/teams", params={"updated_since": new_since(everyone)}, headers=admin
    )

    assert ids_once_in_order(everyone) == [first, second, fourth, leaver, third, *new]
    assert everyone[3]["active"] is False and everyone[4]["name"] == "Nowa"
    assert ids_once_in_order(active) == [first, second, fourth, third, *new]
    assert teams.status_code == 200 and teams.json() == []  # the group was made before
    assert later.json() == []


def new_since(items: list[dict[str, Any]]) -> str:
    return str(items[-1]["updated_at"])
