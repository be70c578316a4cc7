"""A sales manager's everyday deals work in the browser, from a new customer to a gated stage."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningCrm
from tests.browser.test_board import api, drag
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "marta@contentum.pl", "a long enough password"


def hire_a_manager_and_gate_negotiation(crm: RunningCrm) -> dict[str, Any]:
    """A manager in the company's group; Negotiation needs an amount, a close date and a source."""
    with api(crm) as client:
        [root] = [t for t in client.get("/api/teams").json() if t["parent_id"] is None]
        body = {
            "email": EMAIL,
            "name": "Marta Handlowa",
            "password": PASSWORD,
            "role": "manager",
            "team_id": root["id"],
            "locale": "en",
        }
        client.post("/api/users", json=body).raise_for_status()
        [pipeline] = client.get("/api/pipelines").json()
        negotiation = next(s for s in pipeline["stages"] if s["name"] == "Negotiation")
        client.put(
            f"/api/pipelines/{pipeline['id']}/stages/{negotiation['id']}/requirements",
            json={"fields": ["amount", "expected_close_date", "source"]},
        ).raise_for_status()
    return negotiation  # type: ignore[no-any-return]


def settled(page: Page, verb: str, action: Callable[[], None]) -> None:
    """Do `action` and wait until HTMX has put the answer to its `verb` request in place and
    made the new content live (it does so a moment after the swap)."""
    page.evaluate(
        """verb => { window.crmSettled = new Promise(done => document.body.addEventListener(
             "htmx:afterSettle", function settle(event) {
               if ((event.detail.requestConfig || {}).verb !== verb) return;
               document.body.removeEventListener("htmx:afterSettle", settle);
               done(true);
             })); }""",
        verb,
    )
    action()
    page.evaluate("() => window.crmSettled")


def add_company(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Companies").click()
    page.get_by_role("link", name="New company").click()
    page.get_by_label("Name").fill("Stalownia Żuraw sp. z o.o.")
    page.get_by_label("NIP").fill("1234567890")
    expect(page.locator("#nip-check")).to_contain_text("checksum does not match")
    settled(page, "post", page.get_by_role("button", name="Save").click)
    expect(page.locator("#company-form label.invalid")).to_contain_text("checksum")  # refused
    page.get_by_label("NIP").fill("526-025-02-74")
    expect(page.locator("#nip-check")).to_contain_text("Valid NIP")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stalownia Żuraw sp. z o.o.")


def add_contact(page: Page) -> None:
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_label("Company", exact=True)).to_contain_text("Stalownia Żuraw")
    page.get_by_label("Full name").fill("Łukasz Żuraw")
    page.get_by_label("E-mail").fill("lukasz@zuraw.pl")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Łukasz Żuraw")).to_be_visible()


def quick_add_deal(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    page.get_by_role("button", name="New deal in Qualification").click()
    dialog = page.locator("#deal-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Title").fill("Suwnica 20 t")
    dialog.get_by_placeholder("Find a company").fill("zuraw")
    expect(dialog.get_by_label("Company", exact=True)).to_contain_text("Stalownia Żuraw")
    dialog.get_by_label("Company", exact=True).select_option(
        label="Stalownia Żuraw sp. z o.o. (5260250274)"
    )
    dialog.get_by_label("Łukasz Żuraw").check()  # the chosen company's contacts came
    dialog.get_by_role("button", name="Add deal").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".deal-card", has_text="Suwnica 20 t")).to_contain_text(
        "No activity planned"
    )


def edit_deal(page: Page) -> None:
    page.get_by_role("link", name="Suwnica 20 t").click()
    page.get_by_role("link", name="Change").click()
    form = page.locator("#deal-form")
    form.get_by_label("Title").fill("Suwnica 25 t")
    form.get_by_label("Amount").fill("180000")
    form.get_by_label("Łukasz Żuraw").check()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suwnica 25 t")
    expect(page.locator(".facts")).to_contain_text("180,000.00")


def move_to_the_gated_stage(page: Page, negotiation: dict[str, Any]) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    card = page.locator(".deal-card", has_text="Suwnica 25 t")
    column = page.locator(f'.cards[data-stage-id="{negotiation["id"]}"]')
    column.scroll_into_view_if_needed()
    drag(page, card, column)
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".error")).to_have_count(0)
    dialog.get_by_label("Expected close date").fill("2099-09-30")
    dialog.get_by_label("Source").fill("Targi Poznań")
    dialog.get_by_role("button", name="Save and move").click()
    expect(dialog).to_be_hidden()
    expect(column.locator(".deal-card", has_text="Suwnica 25 t")).to_be_visible()


def archive_the_contact(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("searchbox").fill("lukasz zuraw")  # without the Polish letters
    page.get_by_role("link", name="Łukasz Żuraw").click()
    asked: list[str] = []

    def confirm(dialog: Any) -> None:  # "Archive …?": the page asks before it archives
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.get_by_role("button", name="Archive").click()
    expect(page.locator(".tag.archived")).to_have_text("Archived")
    assert asked and "Łukasz Żuraw" in asked[0]
    page.get_by_role("link", name="Contacts").first.click()
    expect(page.get_by_role("link", name="Łukasz Żuraw")).to_have_count(0)


def test_a_manager_adds_a_customer_and_a_deal_edits_it_moves_it_through_a_gate_and_archives(
    browser: Any, crm: RunningCrm, tmp_path: Path
) -> None:
    negotiation = hire_a_manager_and_gate_negotiation(crm)
    context = browser.new_context(
        base_url=crm.url, locale="en-GB", viewport={"width": 1280, "height": 800}
    )
    page: Page = context.new_page()
    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")

    add_company(page)
    add_contact(page)
    quick_add_deal(page)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.getElementById('board').scrollWidth,"
        " document.getElementById('board').clientWidth]"
    )
    page.screenshot(path=str(tmp_path / "board-1280.png"), full_page=True)
    edit_deal(page)
    move_to_the_gated_stage(page, negotiation)
    archive_the_contact(page)

    page_width, board_width, board_visible = widths
    assert page_width <= 1280, "the page itself does not scroll sideways"
    assert board_width > board_visible, "the board scrolls inside, to reach every column"
    context.close()
