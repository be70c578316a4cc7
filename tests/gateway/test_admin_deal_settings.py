"""What the CRM named on its first start is renamed in the administrator's pages."""

from typing import Any

import httpx
import pytest

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.gateway.conftest import PASSWORD
from tests.gateway.test_web import browser_sign_in


@pytest.fixture(scope="module")
async def csrf(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, str]:
    return {"X-CSRF-Token": await browser_sign_in(crm, ADMIN_EMAIL, ADMIN_PASSWORD)}


async def lost_reasons(crm: httpx.AsyncClient, api: dict[str, str]) -> dict[str, dict[str, Any]]:
    answer = await crm.get("/api/pipelines/lost-reasons", headers=api)
    return {reason["name"]: reason for reason in answer.json()}


async def test_the_pipelines_page_names_kinds_and_types_in_words_and_renames_the_pipeline(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()

    page = await crm.get("/admin/pipelines")
    clash = await crm.post(f"/admin/pipelines/{pipeline['id']}", data={"name": "  "}, headers=csrf)
    renamed = await crm.post(
        f"/admin/pipelines/{pipeline['id']}", data={"name": "Sprzedaż hurtowa"}, headers=csrf
    )

    assert "closes as won" in page.text and "· won" not in page.text
    assert "A won deal always needs its amount and expected close date" in page.text
    assert '<option value="money" >Amount of money</option>' in page.text
    assert clash.status_code == 422 and "Fill this in." in clash.text
    assert renamed.status_code == 200 and "<h2>Sprzedaż hurtowa</h2>" in renamed.text
    [after] = (await crm.get("/api/pipelines", headers=api)).json()
    assert after["name"] == "Sprzedaż hurtowa"


async def test_lost_reasons_are_added_renamed_and_offered_no_more(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    added = await crm.post("/admin/lost-reasons", data={"name": "Termin"}, headers=csrf)
    price = (await lost_reasons(crm, api))["Price"]["id"]
    renamed = await crm.post(
        f"/admin/lost-reasons/{price}", data={"name": "Too expensive"}, headers=csrf
    )
    clash = await crm.post(f"/admin/lost-reasons/{price}", data={"name": "TERMIN"}, headers=csrf)
    retired = await crm.post(f"/admin/lost-reasons/{price}", data={"active": "false"}, headers=csrf)

    assert added.status_code == 200 and 'value="Termin"' in added.text
    assert renamed.status_code == 200
    assert clash.status_code == 422 and "this reason is on the list" in clash.text
    assert 'value="TERMIN"' in clash.text  # what was typed stays, next to its message
    assert retired.status_code == 200 and "Offer again" in retired.text
    reasons = await lost_reasons(crm, api)
    assert reasons["Too expensive"]["active"] is False and "Price" not in reasons
    assert reasons["Termin"]["active"] is True


async def test_outcome_types_are_renamed_on_the_calendar_settings_page(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    renamed = await crm.post(
        "/calendar/settings/outcome-types/completed/rename",
        data={"label": "Done and dusted"},
        headers=csrf,
    )
    empty = await crm.post(
        "/calendar/settings/outcome-types/no_answer/rename", data={"label": ""}, headers=csrf
    )

    assert renamed.status_code == 200 and 'value="Done and dusted"' in renamed.text
    assert empty.status_code == 422 and "Fill this in." in empty.text
    types = (await crm.get("/api/calendar/outcome-types", headers=api)).json()
    assert types[0] == {"code": "completed", "label": "Done and dusted", "builtin": True}


async def test_only_the_administrator_renames_pipelines_and_reasons(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    teams = (await crm.get("/api/teams", headers=api)).json()
    body = {
        "email": "ola@contentum.pl",
        "name": "Ola",
        "password": PASSWORD,
        "role": "manager",
        "team_id": teams[0]["id"],
    }
    assert (await crm.post("/api/users", json=body, headers=api | csrf)).status_code == 201
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()
    reason = next(iter((await lost_reasons(crm, api)).values()))
    app = crm._transport.app  # type: ignore[attr-defined]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as ola:
        ola.headers["X-CSRF-Token"] = await browser_sign_in(ola, body["email"], PASSWORD)
        answers = [
            await ola.post(f"/admin/pipelines/{pipeline['id']}", data={"name": "Moje"}),
            await ola.post("/admin/lost-reasons", data={"name": "Moje"}),
            await ola.post(f"/admin/lost-reasons/{reason['id']}", data={"name": "Moje"}),
        ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert "Moje" not in await lost_reasons(crm, api)


async def test_a_stage_moves_a_place_later_and_back_and_the_first_cannot_move_earlier(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    [pipeline] = (await crm.get("/api/pipelines", headers=api)).json()
    first, second = pipeline["stages"][:2]
    path = f"/admin/pipelines/{pipeline['id']}/stages"

    page = (await crm.get("/admin/pipelines")).text
    later = await crm.post(f"{path}/{first['id']}/move", data={"direction": "down"}, headers=csrf)
    swapped = [s["id"] for s in (await crm.get("/api/pipelines", headers=api)).json()[0]["stages"]]
    back = await crm.post(f"{path}/{first['id']}/move", data={"direction": "up"}, headers=csrf)
    again = [s["id"] for s in (await crm.get("/api/pipelines", headers=api)).json()[0]["stages"]]

    assert f'aria-label="Move {first["name"]} earlier" disabled' in page
    assert later.status_code == back.status_code == 200
    assert swapped[:2] == [second["id"], first["id"]]
    assert again[:2] == [first["id"], second["id"]]


async def test_a_custom_fields_key_is_made_from_its_label_when_left_empty(
    crm: httpx.AsyncClient, api: dict[str, str], csrf: dict[str, str]
) -> None:
    body = {"record_type": "deal", "key": "", "label": "Data dostawy 2", "type": "date"}

    added = await crm.post("/admin/fields", data=body, headers=csrf)

    assert added.status_code == 200, added.text
    fields = (await crm.get("/api/fields", params={"record_type": "deal"}, headers=api)).json()
    assert "data_dostawy_2" in {field["key"] for field in fields}
