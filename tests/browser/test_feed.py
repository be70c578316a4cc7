"""The feed in two browsers: A posts mentioning B (picked from the suggestions); B's open page
shows the post and the notification without reloading; B comments; A sees the comment live."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningCrm
from tests.browser.test_calendar import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"
PEOPLE = {"ola.feed@contentum.pl": "Ola Autorka", "bartek.feed@contentum.pl": "Bartek Czytelnik"}


def hire_two(crm: RunningCrm) -> None:
    with api(crm) as client:
        [root] = [t for t in client.get("/api/teams").json() if t["parent_id"] is None]
        for email, name in PEOPLE.items():
            body = {
                "email": email,
                "name": name,
                "password": PASSWORD,
                "role": "manager",
                "team_id": root["id"],
                "locale": "en",
            }
            client.post("/api/users", json=body).raise_for_status()


def open_feed(browser: Any, crm: RunningCrm, email: str) -> tuple[Any, Page]:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feed")
    page.wait_for_timeout(500)  # the page has opened its notification stream
    return context, page


def test_a_mention_and_a_comment_reach_the_open_pages_of_both_without_reloading(
    browser: Any, crm: RunningCrm
) -> None:
    hire_two(crm)
    ola_context, ola = open_feed(browser, crm, "ola.feed@contentum.pl")
    bartek_context, bartek = open_feed(browser, crm, "bartek.feed@contentum.pl")
    loaded = {page: page.evaluate("performance.timeOrigin") for page in (ola, bartek)}
    unread = int(bartek.locator("#bell-count").text_content() or "0")

    composer = ola.get_by_label("Write a post")
    composer.fill("Jutro o 10 spotkanie w sprawie oferty dla Orlenu, ")
    composer.press_sequentially("@Bar")
    suggestions = ola.locator("form.composer").get_by_role("listbox", name="People to mention")
    suggestions.get_by_role("option", name="Bartek Czytelnik", exact=True).click()
    composer.press_sequentially("proszę o cennik #oferta")
    ola.get_by_role("button", name="Publish").click()
    mine = ola.locator("#feed-posts .post").first
    expect(mine).to_contain_text("proszę o cennik")
    expect(composer).to_have_value("")

    arrived = bartek.locator("#feed-posts .post", has_text="proszę o cennik")
    expect(arrived).to_be_visible(timeout=15_000)
    expect(arrived.get_by_role("link", name="@Bartek Czytelnik")).to_be_visible()
    expect(bartek.locator(".toast")).to_contain_text("Ola Autorka mentioned you")
    expect(bartek.locator("#bell-count")).to_have_text(str(unread + 1))

    arrived.get_by_label("Write a comment").fill("Będę, cennik wyślę dziś")
    arrived.get_by_role("button", name="Add a comment").click()
    expect(arrived.locator(".comment")).to_contain_text("Będę, cennik wyślę dziś")

    expect(mine.locator(".comment")).to_contain_text("Będę, cennik wyślę dziś", timeout=15_000)
    expect(ola.locator(".toast")).to_contain_text("Bartek Czytelnik commented on your post")
    for page, origin in loaded.items():
        assert page.evaluate("performance.timeOrigin") == origin  # no reload happened
    ola_context.close()
    bartek_context.close()
