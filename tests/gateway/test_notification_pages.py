"""The bell's list over HTTP: one's own notifications, newest first, read one by one or all."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.app import create_app
from services.gateway.notifications import NotificationHub, notify
from services.gateway.settings import GatewaySettings
from services.gateway.web.notifications.routes import PAGE_SIZE, PANEL_SIZE
from shared.bus import InProcessBus
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, running
from tests.gateway.conftest import PASSWORD, add_user
from tests.gateway.test_web import browser_sign_in


@dataclass
class Bell:
    """The gateway, the administrator as a browser and by token, and a manager's id."""

    app: FastAPI
    browser: httpx.AsyncClient
    api: dict[str, str]
    admin_id: UUID
    manager_id: UUID

    async def notify(self, user_id: UUID, title: str, link: str | None = None) -> str:
        sessions = self.app.state.sessions
        kept = await notify(sessions, user_id=user_id, kind="reminder", title=title, link=link)
        return str(kept.id)

    async def unread(self) -> list[str]:
        answer = await self.browser.get("/api/notifications?unread=true", headers=self.api)
        return [item["title"] for item in answer.json()["items"]]


@pytest.fixture
async def bell(new_database: Any, settings_for: Any, bus: InProcessBus) -> AsyncIterator[Bell]:
    settings = GatewaySettings(
        **settings_for(await new_database("gateway")),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        admin_locale="en",
    )
    app = create_app(settings, bus)
    async with running(app) as client:
        api = await bearer(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        me = (await client.get("/api/me", headers=api)).json()
        manager = await add_user(client, api, email="m@contentum.pl", role="manager")
        client.headers["X-CSRF-Token"] = await browser_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        yield Bell(app, client, api, UUID(me["id"]), UUID(manager["id"]))


def titles(html: str) -> list[str]:
    return re.findall(r'/open">(?:<span class="visually-hidden">Unread: </span>)?([^<]+)</a>', html)


async def test_the_panel_lists_only_my_notifications_newest_first_unread_marked(
    bell: Bell,
) -> None:
    await bell.notify(bell.admin_id, "Call Kowalski")
    await bell.notify(bell.manager_id, "Not for the administrator")
    read = await bell.notify(bell.admin_id, "Meeting at Huta")
    await bell.browser.post(f"/notifications/{read}/read")
    await bell.notify(bell.admin_id, "Letter to Nowak")

    panel = await bell.browser.get("/notifications/panel")

    assert panel.status_code == 200
    assert titles(panel.text) == ["Letter to Nowak", "Meeting at Huta", "Call Kowalski"]
    assert panel.text.count('class="notification unread"') == 2
    assert "Not for the administrator" not in panel.text
    assert 'hx-post="/notifications/read?where=panel"' in panel.text


async def test_reading_one_answers_it_unmarked_with_the_new_count_and_only_my_own(
    bell: Bell,
) -> None:
    mine = await bell.notify(bell.admin_id, "Call Kowalski")
    await bell.notify(bell.admin_id, "Meeting at Huta")
    theirs = await bell.notify(bell.manager_id, "Their reminder")

    answer = await bell.browser.post(f"/notifications/{mine}/read")
    again = await bell.browser.post(f"/notifications/{mine}/read")
    not_mine = await bell.browser.post(f"/notifications/{theirs}/read")
    not_mine_by_api = await bell.browser.post(f"/api/notifications/{theirs}/read", headers=bell.api)

    assert answer.status_code == 200 and 'class="notification"' in answer.text
    assert "Mark read" not in answer.text
    assert json.loads(answer.headers["HX-Trigger"]) == {"crm:unread": {"count": 1}}
    assert again.status_code == 200
    assert not_mine.status_code == 404 and "<html" in not_mine.text
    assert not_mine_by_api.status_code == 404
    assert await bell.unread() == ["Meeting at Huta"]


async def test_all_are_read_at_once_from_the_page_and_the_api(bell: Bell) -> None:
    for title in ("One", "Two", "Three"):
        await bell.notify(bell.admin_id, title)

    answer = await bell.browser.post("/notifications/read?where=panel")
    remaining = await bell.unread()
    await bell.notify(bell.admin_id, "Four")
    by_api = await bell.browser.post("/api/notifications/read", headers=bell.api)

    assert answer.status_code == 200 and 'id="notifications-panel"' in answer.text
    assert "unread" not in answer.text.split('class="notifications"', 1)[1]
    assert json.loads(answer.headers["HX-Trigger"]) == {"crm:unread": {"count": 0}}
    assert remaining == []
    assert by_api.status_code == 204 and await bell.unread() == []


async def test_the_list_goes_a_page_at_a_time_without_repeating_itself(bell: Bell) -> None:
    for n in range(PAGE_SIZE + 5):
        await bell.notify(bell.admin_id, f"Reminder {n:02d}")

    first = await bell.browser.get("/notifications")
    cursor = re.search(r"cursor=([^\"&]+)", first.text)
    assert cursor is not None
    rest = await bell.browser.get(f"/notifications/more?where=page&cursor={cursor.group(1)}")
    panel = await bell.browser.get("/notifications/panel")

    shown = titles(first.text) + titles(rest.text)
    assert titles(first.text)[0] == f"Reminder {PAGE_SIZE + 4:02d}"
    assert len(titles(first.text)) == PAGE_SIZE
    assert sorted(shown) == [f"Reminder {n:02d}" for n in range(PAGE_SIZE + 5)]
    assert "/notifications/more" not in rest.text
    assert len(titles(panel.text)) == PANEL_SIZE and "/notifications/more?where=panel" in panel.text


async def test_opening_a_notification_reads_it_and_goes_to_what_it_is_about(bell: Bell) -> None:
    link = "/calendar?activity=5b0c3b5e-27a8-4d53-9a6b-1f4f3b0f0a11"
    reminder = await bell.notify(bell.admin_id, "Call Kowalski", link=link)
    outside = await bell.notify(bell.admin_id, "Odd link", link="//elsewhere.example/x")

    opened = await bell.browser.get(f"/notifications/{reminder}/open")
    odd = await bell.browser.get(f"/notifications/{outside}/open")

    assert (opened.status_code, opened.headers["location"]) == (303, link)
    assert odd.headers["location"] == "/notifications"  # never away from the CRM
    assert await bell.unread() == []


async def test_reading_tells_the_users_other_open_tabs_the_new_count(bell: Bell) -> None:
    hub: NotificationHub = bell.app.state.hub
    one = await bell.notify(bell.admin_id, "Call Kowalski")
    await bell.notify(bell.admin_id, "Meeting at Huta")
    await asyncio.sleep(0.3)  # the hub has the two notifications behind it
    tab = hub.subscribe(bell.admin_id)
    try:
        await bell.browser.post(f"/notifications/{one}/read")
        pushed = json.loads(await asyncio.wait_for(tab.get(), 5))
    finally:
        hub.unsubscribe(bell.admin_id, tab)

    assert pushed == {"event": "unread", "user_id": str(bell.admin_id), "count": 1}


async def test_staff_open_their_notifications_too(bell: Bell) -> None:
    department = await bell.browser.post(
        "/api/departments", json={"name": "Produkcja"}, headers=bell.api
    )
    staff = await add_user(
        bell.browser,
        bell.api,
        email="hala@contentum.pl",
        role="staff",
        department_id=department.json()["id"],
    )
    await bell.notify(UUID(staff["id"]), "A request from sales")
    transport = httpx.ASGITransport(app=bell.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        await browser_sign_in(other, "hala@contentum.pl", PASSWORD)
        page = await other.get("/notifications")

    assert page.status_code == 200 and "A request from sales" in page.text
    assert "awaiting-count" not in page.text  # staff have no calendar
