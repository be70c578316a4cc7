"""A salesperson on a phone: every page fits the screen, the sections open from the menu, and
a dialog's buttons can be reached."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_calendar import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/calendar", "/deals", "/companies", "/contacts", "/knowledge", "/feed", "/plans"]


def on_a_phone(
    browser: Any, crm: RunningCrm, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> Page:
    context = browser.new_context(
        base_url=crm.url, viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"
    )
    page: Page = context.new_page()
    sign_in(page, email, password)
    expect(page).to_have_url(f"{crm.url}/")
    return page


def hire(crm: RunningCrm, email: str) -> tuple[str, str]:
    """A manager of the company's group, their e-mail and password."""
    password = "a long enough password"
    with api(crm) as client:
        [root] = [t for t in client.get("/api/teams").json() if t["parent_id"] is None]
        body = {
            "email": email,
            "name": email.split("@")[0].title(),
            "password": password,
            "role": "manager",
            "team_id": root["id"],
            "locale": "en",
        }
        assert client.post("/api/users", json=body).status_code == 201
    return email, password


def test_every_page_fits_a_phone_and_the_menu_opens_the_sections(
    browser: Any, crm: RunningCrm
) -> None:
    page = on_a_phone(browser, crm)
    nav = page.get_by_role("navigation", name="Main")

    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").tap()
    nav.get_by_role("link", name="Companies").tap()

    expect(page).to_have_url(f"{crm.url}/companies")
    for path in PAGES:
        page.goto(path)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"


def test_a_new_activity_on_a_phone_ends_as_long_after_its_start_and_its_save_is_in_reach(
    browser: Any, crm: RunningCrm
) -> None:
    page = on_a_phone(browser, crm, *hire(crm, "telefon@contentum.pl"))
    page.goto("/calendar")
    expect(page.locator("#calendar").get_by_role("button", name="This Week")).to_have_text("Today")
    page.get_by_role("button", name="New activity").tap()
    dialog = page.locator("#activity-dialog")
    start, end = dialog.get_by_label("Start (or due)"), dialog.get_by_label("End")
    start.fill("2030-01-07T09:00")
    end.fill("2030-01-07T09:45")

    start.focus()
    start.fill("2030-01-08T14:30")
    start.dispatch_event("change")

    expect(end).to_have_value("2030-01-08T15:15")
    save = dialog.get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_a_deal_changes_stage_on_its_page_without_dragging_asked_for_what_the_stage_needs(
    browser: Any, crm: RunningCrm
) -> None:
    email, password = hire(crm, "kieszen@contentum.pl")
    with api(crm) as client:
        token = client.post(
            "/api/auth/token", data={"username": email, "password": password}
        ).json()["access_token"]
        own = {"Authorization": f"Bearer {token}"}
        firm = client.post("/api/companies", json={"name": "Kieszonka"}, headers=own).json()
        deal = client.post(
            "/api/deals", json={"title": "Wózek", "company_id": firm["id"]}, headers=own
        ).json()
    page = on_a_phone(browser, crm, email, password)
    page.goto(f"/deals/{deal['id']}")

    page.get_by_label("Stage").select_option(label="Lost")
    page.get_by_role("button", name="Move").tap()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").select_option(label="Price")
    dialog.get_by_role("button", name="Save and move").tap()

    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Stage").locator("option:checked")).to_have_text("Lost")
    with api(crm) as client:
        moved = client.get(f"/api/deals/{deal['id']}").json()
    assert moved["lost_reason"] == "Price"


def test_a_dialogs_address_typed_in_opens_its_page_with_the_dialog(
    browser: Any, crm: RunningCrm
) -> None:
    page = on_a_phone(browser, crm, *hire(crm, "zakladka@contentum.pl"))

    page.goto("/calendar/activities/new")

    expect(page).to_have_url(f"{crm.url}/calendar?open=%2Fcalendar%2Factivities%2Fnew")
    dialog = page.locator("#activity-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="New activity")).to_be_visible()


def test_on_a_phone_the_search_results_and_the_notifications_open_within_the_screen(
    browser: Any, crm: RunningCrm
) -> None:
    page = on_a_phone(browser, crm)

    page.get_by_role("combobox", name="Search everything").fill("a")
    results = page.locator("#quick-results")
    expect(results).to_be_visible()
    found = results.bounding_box()
    page.keyboard.press("Escape")
    page.locator("#bell").tap()
    panel = page.locator("#bell-panel")
    expect(panel).to_be_visible()
    bell = panel.bounding_box()

    for box in (found, bell):
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
