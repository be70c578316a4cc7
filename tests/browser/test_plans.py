"""The plan: a manager plans a month for two clients and submits; the head doubts one line;
the company's final plan counts only the approved one."""

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_board import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def people_and_clients(client: httpx.Client) -> None:
    north = client.post("/api/teams", json={"name": "Plan North"}).json()
    for email, role in (
        ("beata.plan@contentum.pl", "head"),
        ("marek.plan@contentum.pl", "manager"),
    ):
        body = {
            "email": email,
            "name": email.split(".")[0].title(),
            "password": PASSWORD,
            "role": role,
            "team_id": north["id"],
            "locale": "en",
        }
        client.post("/api/users", json=body).raise_for_status()
    head = client.get("/api/users", params={"q": "beata.plan"}).json()["items"][0]
    client.patch(f"/api/teams/{north['id']}", json={"head_id": head["id"]}).raise_for_status()
    client.put("/api/plans/settings", json={"approval_required": True}).raise_for_status()
    for name in ("Alfa Plan sp. z o.o.", "Beta Plan S.A."):
        client.post("/api/companies", json={"name": name}).raise_for_status()
    deadline = time.monotonic() + 10  # planning learns clients and people through events
    while time.monotonic() < deadline:
        names = {
            c["name"]
            for c in client.get("/api/plans/clients", params={"limit": 200}).json()["items"]
        }
        if {"Alfa Plan sp. z o.o.", "Beta Plan S.A."} <= names:
            return
        time.sleep(0.1)
    raise AssertionError("planning did not learn the clients")


def open_plan(browser: Any, crm: RunningCrm, email: str, password: str) -> tuple[Any, Page]:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.goto("/plans?month=2026-12")
    return context, page


def test_a_doubtful_line_stays_out_of_the_companys_final_plan(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        people_and_clients(client)

    context, page = open_plan(browser, crm, "marek.plan@contentum.pl", PASSWORD)
    for client_name, amount in (("Alfa Plan sp. z o.o.", "1000"), ("Beta Plan S.A.", "400")):
        page.get_by_label("Client").select_option(label=client_name)
        page.get_by_label("Amount").fill(amount)
        page.get_by_role("button", name="Add to plan").click()
        expect(page.locator("#plan-lines")).to_contain_text(client_name)
    for _ in range(2):
        page.get_by_role("button", name="Submit").first.click()
        page.wait_for_load_state("networkidle")
    expect(page.locator("#plan-lines .status")).to_have_text(["submitted", "submitted"])
    context.close()

    context, page = open_plan(browser, crm, "beata.plan@contentum.pl", PASSWORD)
    page.locator("tr", has_text="Alfa Plan").get_by_role("button", name="Approve").click()
    expect(page.locator("tr", has_text="Alfa Plan").locator(".status")).to_have_text("approved")
    page.locator("tr", has_text="Beta Plan").get_by_role("button", name="Doubtful").click()
    expect(page.locator("tr", has_text="Beta Plan").locator(".status")).to_have_text("doubtful")
    context.close()

    context, page = open_plan(browser, crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.locator("#total-submitted")).to_have_text(re.compile(r"1,400\.00"))
    expect(page.locator("#total-final")).to_have_text(re.compile(r"1,000\.00"))
    context.close()
