"""The desk in Chromium: a manager adds a widget in one click, drags it first, finds the order
kept after a reload, moves one with the keyboard, removes the added one and resets the desk to
the role's default; the search box opens with Ctrl+K and walks its hits with the arrows."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningCrm
from tests.browser.test_board import api, drag
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser
EMAIL, PASSWORD = "desk.manager@contentum.pl", "a long enough password"
DEFAULT = ["agenda", "must_read", "quick_actions"]


def order(page: Page) -> list[str]:
    names: list[str] = page.locator("#desk > li.widget").evaluate_all(
        "items => items.map(item => item.dataset.name)"
    )
    return names


def saved(page: Page) -> Any:
    return page.expect_response(lambda r: r.url.endswith("/desk/layout") and r.status == 204)


def test_a_manager_arranges_the_desk_and_resets_it_to_the_roles_default(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        [root] = [t for t in client.get("/api/teams").json() if t["parent_id"] is None]
        body = {"email": EMAIL, "name": "Dorota Pulpit", "password": PASSWORD}
        body |= {"role": "manager", "team_id": root["id"], "locale": "en"}
        client.post("/api/users", json=body).raise_for_status()
        client.post("/api/companies", json={"name": "Żółta Łódź sp. z o.o."}).raise_for_status()
        default = {"widgets": [{"name": name} for name in DEFAULT]}
        client.put("/api/desk/defaults/manager", json=default).raise_for_status()
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, EMAIL, PASSWORD)
    expect(page.locator("#desk > li.widget")).to_have_count(3)
    assert order(page) == DEFAULT

    page.get_by_text("Add a widget").click()
    page.get_by_role("button", name="Shortcuts", exact=True).click()
    expect(page.locator('li.widget[data-name="shortcuts"]')).to_be_visible()
    assert order(page) == [*DEFAULT, "shortcuts"]

    expect(page.locator("#desk[data-ready]")).to_have_count(1)  # SortableJS has taken the list
    first = page.locator("#desk > li.widget").first.locator(".widget-head")
    with saved(page):
        drag(page, page.locator('li.widget[data-name="shortcuts"] .widget-head'), first)
    page.reload()
    expect(page.locator("#desk > li.widget").first).to_have_attribute("data-name", "shortcuts")

    expect(page.locator("#desk[data-ready]")).to_have_count(1)
    page.get_by_role("button", name="Move Quick actions earlier").focus()
    with saved(page):
        page.keyboard.press("Enter")
    expect(page.locator("#desk-status")).to_contain_text("Quick actions")
    page.reload()
    assert order(page) == ["shortcuts", "agenda", "quick_actions", "must_read"]

    page.get_by_role("button", name="Remove Shortcuts").click()
    expect(page.locator('li.widget[data-name="shortcuts"]')).to_have_count(0)
    page.get_by_role("button", name="Reset to default").click()
    expect(page.get_by_role("button", name="Reset to default")).to_be_disabled()
    assert order(page) == DEFAULT
    expect(page.locator("#widget-agenda")).not_to_contain_text("Loading")

    page.keyboard.press("Control+k")
    expect(page.locator("#quick-search")).to_be_focused()
    page.keyboard.type("zolta lodz")
    expect(page.locator("#quick-results a").first).to_contain_text("Żółta Łódź")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#quick-results a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/companies/[0-9a-f-]+$"))
    context.close()
