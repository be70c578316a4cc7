"""The calendar in Chromium: FullCalendar views, the activity dialog, outcomes, live reminders."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import FilePayload, Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser


def open_calendar(page: Page, path: str = "/calendar") -> None:
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.goto(path)


def api(crm: RunningCrm) -> httpx.Client:
    token = httpx.post(
        f"{crm.url}/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=crm.url, timeout=10, headers={"Authorization": f"Bearer {token}"})


def test_a_reminder_appears_in_an_open_calendar_without_reloading(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    open_calendar(page)
    expect(page.locator("#calendar").get_by_role("columnheader").first).to_be_visible()
    page.wait_for_timeout(500)  # the page has opened its notification stream
    loaded_at = page.evaluate("performance.timeOrigin")

    soon = datetime.now(UTC) + timedelta(minutes=3)
    with api(crm) as client:
        created = client.post(
            "/api/activities",
            json={
                "kind": "call",
                "title": "Oddzwonić do Kowalskiego",
                "start": soon.isoformat(),
                "end": (soon + timedelta(minutes=15)).isoformat(),
                "reminders": [5],  # already due: the scheduler fires it at once
            },
        )
        assert created.status_code == 201, created.text

    expect(page.locator(".toast")).to_contain_text(
        "Reminder: Oddzwonić do Kowalskiego", timeout=20_000
    )
    expect(page.locator("#bell-count")).not_to_have_text("0")
    assert page.evaluate("performance.timeOrigin") == loaded_at  # no reload happened
    context.close()


def test_plan_an_activity_in_the_dialog_then_report_its_outcome(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    open_calendar(page)
    page.get_by_role("button", name="New activity").click()
    dialog = page.locator("#activity-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Title").fill("Spotkanie z Nowakiem")
    dialog.get_by_label("Kind").select_option("meeting")
    dialog.get_by_label("End").fill("")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".error")).to_contain_text("end")  # a meeting needs its end
    start = (datetime.now() + timedelta(hours=2)).replace(minute=0)
    dialog.get_by_label("Start (or due)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_label("End").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    event = page.locator("#calendar").get_by_text("Spotkanie z Nowakiem")
    expect(event.first).to_be_visible()

    event.first.click()
    expect(dialog).to_contain_text("Scheduled")
    dialog.get_by_role("button", name="Report outcome").click()
    dialog.get_by_role("button", name="Save outcome").click()  # the browser asks for a result
    expect(dialog).to_be_visible()
    dialog.get_by_label("Result").select_option("completed")
    dialog.get_by_label("Short note").fill("Umowa do podpisu w piątek.")
    dialog.get_by_label("Title").fill("Podpisanie umowy")
    dialog.get_by_role("button", name="Save outcome").click()
    expect(dialog).to_be_hidden()

    with api(crm) as client:
        items = client.get("/api/activities", params={"limit": 200}).json()["items"]
    meeting = next(item for item in items if item["title"] == "Spotkanie z Nowakiem")
    assert meeting["status"] == "done"
    assert meeting["outcome"]["note"] == "Umowa do podpisu w piątek."
    assert any(item["title"] == "Podpisanie umowy" for item in items)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_subscribe_with_a_qr_code_and_import_a_file(browser: Any, crm: RunningCrm) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    open_calendar(page, "/calendar/sync")
    page.get_by_role("button", name="Make my address").click()
    address = page.locator("#feed-url")
    expect(address).to_have_value(
        __import__("re").compile(r"^http://127\.0\.0\.1:\d+/api/calendar/feeds/.+\.ics$")
    )
    expect(page.locator("img.qr")).to_be_visible()
    feed = httpx.get(address.input_value())
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")

    broken: FilePayload = {"name": "broken.ics", "mimeType": "text/calendar", "buffer": b"nope"}
    page.locator("input[type=file]").set_input_files(files=[broken])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-error")).to_contain_text("not an iCalendar file")
    context.close()


def test_selecting_a_slot_opens_the_dialog_with_its_times(browser: Any, crm: RunningCrm) -> None:
    """In the user's time zone (Europe/Warsaw) whatever the browser's: here New York's."""
    context = browser.new_context(base_url=crm.url, locale="en-GB", timezone_id="America/New_York")
    page: Page = context.new_page()
    open_calendar(page)
    # Next week's Wednesday: a slot no other test plans anything in, whatever the hour it runs.
    now = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    day = (now + timedelta(days=7 - now.weekday() + 2)).isoformat()
    page.locator("#calendar").get_by_role("button", name="Next Week").click()
    column = page.locator(f"#calendar [data-date='{day}']").last.bounding_box()
    ten = page.locator("#calendar [data-time='10:00:00']").last.bounding_box()
    eleven = page.locator("#calendar [data-time='11:00:00']").last.bounding_box()
    assert column and ten and eleven
    x = column["x"] + column["width"] / 2
    page.mouse.move(x, ten["y"] + 5)
    page.mouse.down()
    page.mouse.move(x, ten["y"] + 25, steps=5)
    page.mouse.move(x, eleven["y"] - 5, steps=5)
    page.mouse.up()
    dialog = page.locator("#activity-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Start (or due)")).to_have_value(f"{day}T10:00")
    expect(dialog.get_by_label("End")).to_have_value(f"{day}T11:00")
    context.close()
