"""The bell: notifications appear in an open page, are listed and read, without reloading it."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from services.gateway.notifications import notify
from services.gateway.tables import User
from shared.db import new_engine, new_session_factory
from shared.postgres import async_url
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_calendar import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser


async def notify_admin(database: str, title: str) -> None:
    """What a reminder or a mention will do: keep a notification and push it to open tabs."""
    engine = new_engine(async_url(database))
    sessions = new_session_factory(engine)
    try:
        async with sessions() as session:
            admin = await session.scalar(
                select(User.id).where(func.lower(User.email) == ADMIN_EMAIL)
            )
        assert admin is not None
        await notify(sessions, user_id=admin, kind="test", title=title, body="Kowalski sp. z o.o.")
    finally:
        await engine.dispose()


def test_a_notification_reaches_an_open_page_without_reloading(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.wait_for_timeout(500)  # the page has opened its notification stream
    loaded_at = page.evaluate("performance.timeOrigin")
    unread = int(page.locator("#bell-count").text_content() or "0")  # other tests notify too

    with ThreadPoolExecutor(1) as other_thread:  # Playwright's loop owns this thread
        other_thread.submit(
            asyncio.run, notify_admin(crm.database_url("gateway"), "Call Kowalski at 10:00")
        ).result()

    expect(page.locator(".toast")).to_contain_text("Call Kowalski at 10:00")
    expect(page.locator("#bell-count")).to_have_text(str(unread + 1))
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload happened
    context.close()


def test_a_reminder_is_read_from_the_bell_and_an_outcome_to_report_is_counted_at_once(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.wait_for_timeout(500)  # the page has opened its notification stream
    loaded_at = page.evaluate("performance.timeOrigin")
    awaiting = page.locator("#awaiting-count")
    awaiting_before = int(awaiting.text_content() or "0")  # other tests leave activities too
    now = datetime.now(UTC)

    with api(crm) as client:
        call = {
            "kind": "call",
            "title": "Zadzwonić do Nowaka",
            "start": (now + timedelta(minutes=3)).isoformat(),
            "end": (now + timedelta(minutes=18)).isoformat(),
            "reminders": [5],  # already due: the scheduler fires it at once
        }
        meeting = {  # under way; it ends in a few seconds and asks for its outcome
            "kind": "meeting",
            "title": "Spotkanie w Odlewni",
            "start": (now - timedelta(minutes=30)).isoformat(),
            "end": (now + timedelta(seconds=8)).isoformat(),
            "reminders": [],
        }
        for activity in (call, meeting):
            assert client.post("/api/activities", json=activity).status_code == 201

    expect(page.locator(".toast").first).to_contain_text("Reminder: Zadzwonić do Nowaka")
    unread = int(page.locator("#bell-count").text_content() or "0")
    page.locator("#bell").click()
    panel = page.locator("#bell-panel")
    reminder = panel.locator("li.notification", has_text="Reminder: Zadzwonić do Nowaka")
    expect(reminder).to_have_class("notification unread")
    reminder.get_by_role("button", name="Mark read").click()
    expect(reminder).to_have_class("notification")
    expect(page.locator("#bell-count")).to_have_text(str(unread - 1))

    expect(page.locator(".toast", has_text="What came of it? Spotkanie w Odlewni")).to_be_visible(
        timeout=20_000
    )
    expect(awaiting).to_have_text(str(awaiting_before + 1))  # without waiting a minute
    expect(panel.locator("li.notification.unread").first).to_contain_text("Spotkanie w Odlewni")
    panel.get_by_role("button", name="Mark all read").click()
    expect(panel.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator("#bell-count")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload happened
    context.close()
