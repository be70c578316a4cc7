"""The bell: a notification appears in an open page without reloading it."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
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
