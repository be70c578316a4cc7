"""The administrator's people pages over HTTP: change users, groups and departments in forms."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.bus import InProcessBus
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from tests.gateway.conftest import PASSWORD, add_team, add_user
from tests.gateway.test_web import browser_sign_in


@dataclass
class Site:
    """The gateway, its administrator as a browser (Polish, the default) and as an API client."""

    app: FastAPI
    browser: httpx.AsyncClient
    api: dict[str, str]

    async def events(self, type_: str) -> list[dict[str, Any]]:
        """The data of every `type_` event the gateway has put in its outbox, oldest first."""
        query = text("SELECT envelope FROM outbox WHERE type = :type ORDER BY id")
        async with self.app.state.sessions() as session:
            rows = await session.scalars(query, {"type": type_})
            return [row["data"] for row in rows]

    async def user(self, user_id: str) -> dict[str, Any]:
        answer = await self.browser.get(f"/api/users/{user_id}", headers=self.api)
        return answer.json()  # type: ignore[no-any-return]

    async def teams(self) -> dict[str, dict[str, Any]]:
        teams = (await self.browser.get("/api/teams", headers=self.api)).json()
        return {team["name"]: team for team in teams}


@pytest.fixture
async def site(new_database: Any, settings_for: Any, bus: InProcessBus) -> AsyncIterator[Site]:
    settings = GatewaySettings(
        **settings_for(await new_database("gateway")),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    app = create_app(settings, bus)
    async with running(app) as client:
        api = await bearer(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        client.headers["X-CSRF-Token"] = await browser_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield Site(app, client, api)


def saved(answer: httpx.Response, to: str) -> bool:
    """A form was saved: the browser is sent on to `to`."""
    return answer.status_code == 303 and answer.headers["location"] == to


async def test_an_administrator_changes_a_users_role_group_language_and_zone(site: Site) -> None:
    north = await add_team(site.browser, site.api, name="Północ")
    anna = await add_user(site.browser, site.api, email="anna@contentum.pl", name="Anna")

    page = await site.browser.get(f"/admin/users/{anna['id']}")
    answer = await site.browser.post(
        f"/admin/users/{anna['id']}",
        data={
            "name": "Anna Nowak",
            "email": "Anna.Nowak@contentum.pl",
            "role": "head",
            "team_id": north["id"],
            "department_id": "",
            "locale": "en",
            "time_zone": "Europe/London",
        },
    )

    assert page.status_code == 200 and 'value="anna@contentum.pl"' in page.text
    assert saved(answer, "/admin/users")
    changed = await site.user(anna["id"])
    assert (changed["name"], changed["email"], changed["role"]) == (
        "Anna Nowak",
        "anna.nowak@contentum.pl",
        "head",
    )
    assert (changed["team_id"], changed["locale"], changed["time_zone"]) == (
        north["id"],
        "en",
        "Europe/London",
    )
    announced = (await site.events("crm.user.updated.v1"))[-1]
    assert (announced["user_id"], announced["role"], announced["team_id"]) == (
        anna["id"],
        "head",
        north["id"],
    )


async def test_deactivating_asks_first_and_reactivating_does_not(site: Site) -> None:
    anna = await add_user(site.browser, site.api, email="anna@contentum.pl", name="Anna Nowak")
    await site.browser.patch(f"/api/users/{anna['id']}", json={"active": False}, headers=site.api)
    await add_user(site.browser, site.api, email="ola@contentum.pl", name="Ola Czynna")

    page = (await site.browser.get("/admin/users")).text

    rows = {name: row for row in page.split("<tr") for name in ("Anna", "Ola") if name in row}
    assert 'hx-confirm="Dezaktywować: Ola Czynna?' in rows["Ola"]  # the administrator reads Polish
    assert "hx-confirm" not in rows["Anna"]


async def test_an_administrator_sets_a_forgotten_password_anew(site: Site) -> None:
    anna = await add_user(site.browser, site.api, email="anna@contentum.pl", name="Anna")
    kept = {"name": "Anna", "email": "anna@contentum.pl", "role": "manager", "locale": "pl"}
    kept |= {"time_zone": "Europe/Warsaw", "team_id": "", "department_id": ""}

    page = await site.browser.get(f"/admin/users/{anna['id']}")
    short = await site.browser.post(
        f"/admin/users/{anna['id']}", data={**kept, "password": "krótkie"}
    )
    unchanged = await site.browser.post(f"/admin/users/{anna['id']}", data={**kept, "password": ""})
    old_still = await site.browser.post(
        "/api/auth/token", data={"username": "anna@contentum.pl", "password": PASSWORD}
    )
    changed = await site.browser.post(
        f"/admin/users/{anna['id']}", data={**kept, "password": "nowe hasło Anny 2026"}
    )
    signed = await site.browser.post(
        "/api/auth/token",
        data={"username": "anna@contentum.pl", "password": "nowe hasło Anny 2026"},
    )
    old = await site.browser.post(
        "/api/auth/token", data={"username": "anna@contentum.pl", "password": PASSWORD}
    )

    assert 'name="password" autocomplete="new-password"' in page.text
    assert short.status_code == 422 and 'id="error-password"' in short.text
    assert "krótkie" not in short.text  # a password is never written back into a page
    assert saved(unchanged, "/admin/users") and old_still.status_code == 200
    assert saved(changed, "/admin/users")
    assert signed.status_code == 200 and old.status_code == 401


async def test_the_users_form_says_what_is_wrong_next_to_each_field_in_polish(site: Site) -> None:
    await add_user(site.browser, site.api, email="zajety@contentum.pl")
    ewa = await add_user(site.browser, site.api, email="ewa@contentum.pl", name="Ewa")
    form = {"name": "", "email": "nie-adres", "role": "manager", "locale": "pl"}

    malformed = await site.browser.post(
        f"/admin/users/{ewa['id']}", data={**form, "time_zone": "Europe/Warsaw"}
    )
    taken = await site.browser.post(
        f"/admin/users/{ewa['id']}",
        data={**form, "name": "Ewa", "email": "zajety@contentum.pl", "time_zone": "Europe/Warsaw"},
    )
    no_zone = await site.browser.post(
        f"/admin/users/{ewa['id']}",
        data={**form, "name": "Ewa", "email": "ewa@contentum.pl", "time_zone": "Mars/Olympus"},
    )

    assert malformed.status_code == 422
    assert 'id="error-name">Uzupełnij to pole.<' in malformed.text
    assert 'id="error-email">Wpisz poprawny adres e-mail.<' in malformed.text
    assert taken.status_code == 422
    assert 'id="error-email"' in taken.text and 'value="zajety@contentum.pl"' in taken.text
    assert no_zone.status_code == 422 and 'id="error-time_zone"' in no_zone.text
    assert (await site.user(ewa["id"]))["email"] == "ewa@contentum.pl"  # nothing was saved


async def test_the_root_group_is_renamed_groups_move_without_loops_and_get_a_head(
    site: Site,
) -> None:
    root = next(team for team in (await site.teams()).values() if team["parent_id"] is None)
    north = await add_team(site.browser, site.api, name="Północ")
    gdansk = await add_team(site.browser, site.api, name="Gdańsk", parent_id=north["id"])
    head = await add_user(site.browser, site.api, email="szef@contentum.pl", role="head")

    renamed = await site.browser.post(f"/admin/teams/{root['id']}", data={"name": "Kowalski SA"})
    loop = await site.browser.post(
        f"/admin/teams/{north['id']}", data={"name": "Północ", "parent_id": gdansk["id"]}
    )
    moved = await site.browser.post(
        f"/admin/teams/{gdansk['id']}",
        data={"name": "Trójmiasto", "parent_id": root["id"], "head_id": head["id"]},
    )

    assert saved(renamed, "/admin/teams") and saved(moved, "/admin/teams")
    assert loop.status_code == 422
    assert "grupy nie można przenieść pod nią samą ani pod jej podgrupy" in loop.text
    teams = await site.teams()
    assert teams["Kowalski SA"]["parent_id"] is None
    assert teams["Trójmiasto"]["parent_id"] == root["id"]
    assert teams["Trójmiasto"]["head_id"] == head["id"]
    assert teams["Północ"]["parent_id"] == root["id"]
    assert (await site.user(head["id"]))["team_id"] == gdansk["id"]  # a head is in the group
    changes = await site.events("crm.team.changed.v1")
    assert {"name": "Kowalski SA", "parent_id": None} in [
        {"name": c["name"], "parent_id": c["parent_id"]} for c in changes
    ]
    assert changes[-1]["head_id"] == head["id"]


async def test_two_sales_groups_never_share_a_name(site: Site) -> None:
    north = await add_team(site.browser, site.api, name="Północ")
    await add_team(site.browser, site.api, name="Południe")

    again = await site.browser.post("/admin/teams", data={"name": "PÓŁNOC"})
    by_api = await site.browser.post("/api/teams", json={"name": "północ"}, headers=site.api)
    renamed = await site.browser.patch(
        f"/api/teams/{north['id']}", json={"name": "Południe"}, headers=site.api
    )
    kept = await site.browser.patch(
        f"/api/teams/{north['id']}", json={"name": "Północ"}, headers=site.api
    )

    assert again.status_code == 422 and "grupa sprzedaży o tej nazwie już istnieje" in again.text
    assert by_api.status_code == renamed.status_code == 409
    assert kept.status_code == 200  # its own name is not taken by itself
    names = [
        team["name"] for team in (await site.browser.get("/api/teams", headers=site.api)).json()
    ]
    assert sorted(names).count("Północ") == sorted(names).count("Południe") == 1


async def test_a_head_hired_before_the_group_is_named_when_it_is_created(site: Site) -> None:
    head = await add_user(site.browser, site.api, email="nowy@contentum.pl", role="head")
    waiting = await add_user(site.browser, site.api, email="czeka@contentum.pl", role="manager")
    users_page = await site.browser.get("/admin/users")

    created = await site.browser.post(
        "/admin/teams", data={"name": "Zachód", "head_id": head["id"]}
    )

    assert head["team_id"] is None and waiting["team_id"] is None
    assert "not in a group yet" not in users_page.text  # the administrator reads Polish
    assert users_page.text.count("jeszcze bez grupy") == 2
    assert created.status_code == 200
    west = (await site.teams())["Zachód"]
    assert west["head_id"] == head["id"]
    assert (await site.user(head["id"]))["team_id"] == west["id"]


async def test_naming_a_head_of_another_group_leaves_the_first_without_one(site: Site) -> None:
    head = await add_user(site.browser, site.api, email="szefowa@contentum.pl", role="head")
    east = await add_team(site.browser, site.api, name="Wschód", head_id=head["id"])
    west = await add_team(site.browser, site.api, name="Zachód")

    await site.browser.post(
        f"/admin/teams/{west['id']}", data={"name": "Zachód", "head_id": head["id"]}
    )
    demoted = await site.browser.post(
        f"/admin/users/{head['id']}",
        data={
            "name": "Szefowa",
            "email": "szefowa@contentum.pl",
            "role": "manager",
            "team_id": west["id"],
            "locale": "pl",
            "time_zone": "Europe/Warsaw",
        },
    )

    teams = await site.teams()
    assert east["head_id"] == head["id"] and teams["Wschód"]["head_id"] is None
    assert saved(demoted, "/admin/users")
    assert teams["Zachód"]["head_id"] is None  # a manager heads no group


async def test_departments_are_renamed_in_place_and_names_stay_unique(site: Site) -> None:
    legal = (
        await site.browser.post("/api/departments", json={"name": "Prawny"}, headers=site.api)
    ).json()
    await site.browser.post("/api/departments", json={"name": "Produkcja"}, headers=site.api)

    renamed = await site.browser.post(
        f"/admin/departments/{legal['id']}", data={"name": "Dział prawny"}
    )
    clash = await site.browser.post(f"/admin/departments/{legal['id']}", data={"name": "PRODUKCJA"})
    empty = await site.browser.post(f"/admin/departments/{legal['id']}", data={"name": ""})

    assert renamed.status_code == 200 and 'value="Dział prawny"' in renamed.text
    assert clash.status_code == 422 and "wydział o tej nazwie już istnieje" in clash.text
    assert empty.status_code == 422 and "Uzupełnij to pole." in empty.text
    names = [
        d["name"] for d in (await site.browser.get("/api/departments", headers=site.api)).json()
    ]
    assert names == ["Dział prawny", "Produkcja"]


async def test_only_an_administrator_may_open_or_send_the_people_forms(site: Site) -> None:
    team = await add_team(site.browser, site.api, name="Południe")
    manager = await add_user(
        site.browser, site.api, email="m@contentum.pl", role="manager", team_id=team["id"]
    )
    department = (
        await site.browser.post("/api/departments", json={"name": "Logistyka"}, headers=site.api)
    ).json()
    transport = httpx.ASGITransport(app=site.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        other.headers["X-CSRF-Token"] = await browser_sign_in(other, "m@contentum.pl", PASSWORD)
        answers = [
            await other.get(f"/admin/users/{manager['id']}"),
            await other.post(f"/admin/users/{manager['id']}", data={"role": "admin"}),
            await other.get(f"/admin/teams/{team['id']}"),
            await other.post(f"/admin/teams/{team['id']}", data={"name": "Moje"}),
            await other.post(f"/admin/departments/{department['id']}", data={"name": "Moje"}),
            await other.patch(f"/api/departments/{department['id']}", json={"name": "Moje"}),
        ]

    assert [answer.status_code for answer in answers] == [403] * 6
    assert (await site.user(manager["id"]))["role"] == "manager"
    assert "Moje" not in await site.teams()


async def test_a_person_changes_their_own_password_naming_the_current_one(site: Site) -> None:
    await add_user(site.browser, site.api, email="anna@contentum.pl", name="Anna")
    elsewhere = await bearer(site.browser, "anna@contentum.pl", PASSWORD)  # another session
    anna = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="http://test")
    async with anna:
        csrf = await browser_sign_in(anna, "anna@contentum.pl", PASSWORD)
        headers = {"X-CSRF-Token": csrf, "HX-Request": "true"}

        def change(current: str, new: str) -> Any:
            body = {"current_password": current, "new_password": new}
            return anna.post("/account/password", data=body, headers=headers)

        page = await anna.get("/account")
        wrong = await change("not my password", "nowe hasło Anny 2026")
        short = await change(PASSWORD, "krótkie")
        changed = await change(PASSWORD, "nowe hasło Anny 2026")
        still_here = await anna.get("/account")
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="http://test")
    async with other:
        other_session = await other.get("/api/me", headers=elsewhere)

    assert page.status_code == 200 and 'name="current_password"' in page.text
    assert wrong.status_code == 422 and 'id="error-current_password"' in wrong.text
    assert "not my password" not in wrong.text  # a password is never written back into a page
    assert short.status_code == 422 and 'id="error-new_password"' in short.text
    assert changed.status_code == 200 and 'role="status"' in changed.text
    assert still_here.status_code == 200 and other_session.status_code == 401
    signed = await site.browser.post(
        "/api/auth/token",
        data={"username": "anna@contentum.pl", "password": "nowe hasło Anny 2026"},
    )
    assert signed.status_code == 200


async def test_the_api_changes_your_password_only_with_the_current_one(site: Site) -> None:
    await add_user(site.browser, site.api, email="ola@contentum.pl", name="Ola")
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="http://test")
    async with client:
        ola = await bearer(client, "ola@contentum.pl", PASSWORD)
        client.cookies.clear()  # an API client, not a browser

        def change(current: str, new: str) -> Any:
            body = {"current_password": current, "new_password": new}
            return client.post("/api/me/password", json=body, headers=ola)

        wrong = await change("zgadywane", "nowe hasło Oli 2026")
        done = await change(PASSWORD, "nowe hasło Oli 2026")
        same_token = await client.get("/api/me", headers=ola)

    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == [
        "body",
        "current_password",
    ]
    assert done.status_code == 204 and same_token.status_code == 200


async def test_a_groups_and_a_departments_page_list_their_people(site: Site) -> None:
    north = await add_team(site.browser, site.api, name="Północ")
    legal = await site.browser.post("/api/departments", json={"name": "Prawny"}, headers=site.api)
    await add_user(
        site.browser, site.api, email="anna@contentum.pl", name="Anna", team_id=north["id"]
    )
    gone = await add_user(
        site.browser, site.api, email="jan@contentum.pl", name="Jan", team_id=north["id"]
    )
    await site.browser.patch(f"/api/users/{gone['id']}", json={"active": False}, headers=site.api)
    await add_user(
        site.browser,
        site.api,
        email="ewa@contentum.pl",
        name="Ewa",
        role="staff",
        department_id=legal.json()["id"],
    )

    group = (await site.browser.get(f"/admin/teams/{north['id']}")).text
    department = (await site.browser.get(f"/admin/departments/{legal.json()['id']}")).text

    assert ">Anna</a>" in group and ">Jan</a>" in group and "Nieaktywny" in group
    assert ">Ewa</a>" in department and ">Anna</a>" not in department


async def test_a_new_users_language_starts_as_the_administrators(site: Site) -> None:
    await site.browser.patch("/api/me", json={"locale": "en"}, headers=site.api)

    page = (await site.browser.get("/admin/users")).text

    assert '<option value="en" selected>English</option>' in page
    assert re.search(r">\s*Deactivate\s*</button>", page)  # a button saying what it does
