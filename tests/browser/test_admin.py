"""The administrator organises people in Chromium: renames the company, moves a seller on."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_calendar import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser


def test_an_administrator_renames_the_company_and_makes_a_manager_head_of_another_group(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        teams = client.get("/api/teams").json()
        root = next(team for team in teams if team["parent_id"] is None)
        west = client.post("/api/teams", json={"name": "Zachód"}).json()
        east = client.post("/api/teams", json={"name": "Wschód"}).json()
        body = {
            "email": "jan.wisniewski@contentum.pl",
            "name": "Jan Wiśniewski",
            "password": "a long enough password",
            "role": "manager",
            "team_id": west["id"],
        }
        jan = client.post("/api/users", json=body).json()
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Sales groups").click()
    page.locator("#team-tree").get_by_role("link", name=root["name"], exact=True).click()
    expect(page.get_by_label("Part of")).to_have_count(0)  # the company has no parent
    page.get_by_label("Name").fill("   ")  # the browser asks for something; the server for more
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#error-name")).to_have_text("Fill this in.")
    page.get_by_label("Name").fill("Kowalski i Synowie")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales groups")
    expect(page.locator("#team-tree > li > .team")).to_have_text("Kowalski i Synowie")

    nav.get_by_role("link", name="Users").click()
    page.locator("#user-rows").get_by_role("link", name="Jan Wiśniewski").click()
    page.get_by_label("Role").select_option(label="Head of sales")
    page.get_by_label("Sales group").select_option(label="Wschód")
    page.get_by_role("button", name="Save changes").click()
    row = page.locator("#user-rows tr", has_text="jan.wisniewski@contentum.pl")
    expect(row).to_contain_text("Head of sales")
    expect(row).to_contain_text("Wschód")

    with api(crm) as client:
        changed = client.get(f"/api/users/{jan['id']}").json()
        names = {team["name"] for team in client.get("/api/teams").json()}
    assert (changed["role"], changed["team_id"]) == ("head", east["id"])
    assert "Kowalski i Synowie" in names and root["name"] not in names
    context.close()


def test_an_administrator_deactivates_a_leaver_and_hands_their_deals_to_a_colleague(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        group = client.post("/api/teams", json={"name": "Centrum"}).json()
        people = {}
        for email, name in (
            ("lena.odchodzi@contentum.pl", "Marta Odchodzi"),
            ("adam@contentum.pl", "Adam Zostaje"),
        ):
            body = {
                "email": email,
                "name": name,
                "password": "a long enough password",
                "role": "manager",
                "team_id": group["id"],
            }
            people[name] = client.post("/api/users", json=body).json()
        marta, adam = people["Marta Odchodzi"]["id"], people["Adam Zostaje"]["id"]
        firm = client.post("/api/companies", json={"name": "Huta Marty", "owner_id": marta}).json()
        deal = client.post(
            "/api/deals", json={"title": "Piec Marty", "company_id": firm["id"], "owner_id": marta}
        ).json()
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # "Deactivate …?", "Hand over …?"
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    row = page.locator("#user-rows tr", has_text="lena.odchodzi@contentum.pl")
    row.get_by_role("button", name="Deactivate").click()
    expect(row.get_by_role("button")).to_have_text("Activate")
    expect(row.locator(".tag")).to_have_text("Inactive")
    row.get_by_role("link", name="Marta Odchodzi").click()
    section = page.locator("#hand-over")
    section.get_by_label("Give them to").select_option(label="Adam Zostaje (Centrum)")
    section.get_by_role("button", name="Hand over").click()

    expect(section.get_by_role("status")).to_have_text(
        "Handed over to Adam Zostaje (Centrum): deals 1, companies 1, contacts 0, activities 0."
    )
    with api(crm) as client:
        assert client.get(f"/api/deals/{deal['id']}").json()["owner_id"] == adam
        assert client.get(f"/api/companies/{firm['id']}").json()["owner_id"] == adam
