"""The web shell as an administrator uses it: sign in, organise people, switch language, sign out."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any, crm: RunningCrm) -> Any:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    yield context.new_page()
    context.close()


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def on_the_desk(
    browser: Any, url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> Page:
    """A page of a browser context of its own (English), signed in and on the desk."""
    page: Page = browser.new_context(base_url=url, locale="en-GB").new_page()
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    return page


def test_the_login_page_rejects_a_wrong_password(page: Page) -> None:
    sign_in(page, ADMIN_EMAIL, "not the password")

    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_an_administrator_adds_a_user_to_a_group_then_works_in_polish_and_signs_out(
    page: Page, tmp_path: Path
) -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Administrator")

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Sales groups").click()
    page.get_by_label("Name").fill("North")
    page.get_by_role("button", name="Add group").click()
    expect(page.locator("#team-tree")).to_contain_text("North")

    nav.get_by_role("link", name="Departments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Departments")

    nav.get_by_role("link", name="Users").click()
    form = page.locator("#new-user")
    form.get_by_label("Full name").fill("Anna Nowak")
    form.get_by_label("E-mail").fill("anna.nowak@contentum.pl")
    form.get_by_label("Password").fill("a long enough password")
    form.get_by_label("Sales group").select_option(label="North")
    form.get_by_role("button", name="Add user").click()
    row = page.locator("#user-rows tr", has_text="anna.nowak@contentum.pl")
    expect(row).to_contain_text("North")
    expect(row).to_contain_text("Sales manager")

    page.get_by_role("button", name="PL", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Użytkownicy")
    expect(
        page.get_by_role("navigation").get_by_role("link", name="Grupy sprzedaży")
    ).to_be_visible()
    expect(page.locator("#user-rows tr", has_text="anna.nowak@contentum.pl")).to_contain_text(
        "Menedżer sprzedaży"
    )
    page.screenshot(path=str(tmp_path / "users-pl.png"), full_page=True)

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Wyloguj").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaloguj się")
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_tab_older_than_its_session_reloads_instead_of_failing_silently(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    old_tab = context.new_page()
    sign_in(old_tab, ADMIN_EMAIL, ADMIN_PASSWORD)  # in whichever language the suite left them
    expect(old_tab).to_have_url(re.compile(r"/$"))
    old_tab.goto("/account")
    other_tab = context.new_page()
    other_tab.goto("/")
    token = other_tab.locator("body").get_attribute("data-csrf-token") or ""
    # signed out in the other tab (as its menu does): the old tab's token is stale now
    signed_out = context.request.post("/logout", headers={"X-CSRF-Token": token})
    assert signed_out.ok

    old_tab.locator('form[hx-post="/account"] button[type=submit]').click()

    expect(old_tab).to_have_url(re.compile(r"/login$"))  # reloaded: the session is gone
    context.close()
