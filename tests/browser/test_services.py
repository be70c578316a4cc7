"""A company service from its design to its output on the deal, in Chromium: the administrator
designs it, a manager raises it from a deal, the department works it, the manager amends it."""

import re
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_board import api
from tests.browser.test_shell import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"


def finance_and_a_deal(crm: RunningCrm) -> dict[str, Any]:
    """A finance department with a clerk; a manager with a deal on a company of theirs."""
    suffix = uuid4().hex[:6]
    with api(crm) as client:
        department = client.post("/api/departments", json={"name": f"Finanse {suffix}"}).json()
        [root] = [t for t in client.get("/api/teams").json() if t["parent_id"] is None]
        people = {
            "clerk": {"role": "staff", "department_id": department["id"]},
            "manager": {"role": "manager", "team_id": root["id"]},
        }
        for key, placement in people.items():
            body = {
                "email": f"{key}-{suffix}@contentum.pl",
                "name": f"{key.title()} {suffix}",
                "password": PASSWORD,
                "locale": "en",
                **placement,
            }
            client.post("/api/users", json=body).raise_for_status()
            people[key] = body
    token = httpx.post(
        f"{crm.url}/api/auth/token",
        data={"username": people["manager"]["email"], "password": PASSWORD},
    ).json()["access_token"]
    with httpx.Client(base_url=crm.url, headers={"Authorization": f"Bearer {token}"}) as manager:
        company = manager.post("/api/companies", json={"name": f"Huta {suffix}"}).json()
        deal = manager.post(
            "/api/deals",
            json={"title": f"Stal {suffix}", "company_id": company["id"], "amount": "250000"},
        ).json()
    return {"department": department, **people, "company": company, "deal": deal}


def person(browser: Browser, crm: RunningCrm, email: str, password: str = PASSWORD) -> Page:
    page: Page = browser.new_context(base_url=crm.url, locale="en-GB").new_page()
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    return page


def design(page: Page, name: str, department: str) -> None:
    page.goto("/services/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.locator("select[name=department_id]").select_option(label=department)
    page.get_by_label("SLA in working hours").fill("8")
    inputs = [
        ("Klient", "company", "company", ""),
        ("Kwota", "money", "deal.amount", "1000"),
        ("Cel", "text", "", ""),
    ]
    for position, (label, kind, prefill, minimum) in enumerate(inputs):
        page.get_by_role("button", name="Add an input").click()
        row = page.locator("#inputs-rows li").nth(position)
        row.get_by_label("Label").fill(label)
        row.get_by_label("Type").select_option(kind)
        row.get_by_label("Required").select_option("true")
        row.get_by_label("Filled from").select_option(prefill)
        row.get_by_label("At least").fill(minimum)
    outputs = [("Decyzja", "select", "true", "approved, rejected"), ("Limit", "money", "false", "")]
    for position, (label, kind, required, options) in enumerate(outputs):
        page.get_by_role("button", name="Add an output").click()
        row = page.locator("#outputs-rows li").nth(position)
        row.get_by_label("Label").fill(label)
        row.get_by_label("Type").select_option(kind)
        row.get_by_label("Required").select_option(required)
        row.get_by_label("Options").fill(options)
    preview = page.locator("#preview")
    expect(preview.get_by_label("Kwota")).to_be_visible()
    expect(preview.get_by_label("Decyzja")).to_be_visible()
    page.get_by_role("button", name="Save the service").click()
    expect(page).to_have_url(re.compile(r"/services$"))
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def status_is(page: Page, text: str) -> None:
    expect(page.locator("#request-status")).to_have_text(text)


def test_a_designed_service_is_raised_from_a_deal_worked_and_delivered_onto_the_deal(
    browser: Browser, crm: RunningCrm
) -> None:
    world = finance_and_a_deal(crm)
    service = f"Weryfikacja kredytowa {world['department']['name']}"
    admin = person(browser, crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    design(admin, service, world["department"]["name"])

    manager = person(browser, crm, world["manager"]["email"])
    manager.goto(f"/deals/{world['deal']['id']}")
    manager.get_by_role("link", name="Raise a request").click()
    manager.get_by_role("link", name=service).click()
    expect(manager.get_by_label("Klient")).to_have_value(world["company"]["id"])
    expect(manager.get_by_label("Kwota")).to_have_value("250000.00")
    manager.get_by_role("button", name="Send the request").click()
    expect(manager.locator("label", has_text="Cel")).to_contain_text("fill in this field")
    manager.get_by_label("Cel").fill("Oferta na stal")
    manager.get_by_role("button", name="Send the request").click()
    expect(manager).to_have_url(re.compile(r"/requests/[0-9a-f-]+$"))
    request_url = manager.url
    status_is(manager, "waiting")

    clerk = person(browser, crm, world["clerk"]["email"])
    clerk.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    clerk.get_by_role("link", name=service).click()
    clerk.get_by_role("button", name="Take it").click()
    status_is(clerk, "in progress")
    clerk.get_by_text("Return for information", exact=True).first.click()
    clerk.get_by_label("What is missing?").fill("Podaj NIP klienta")
    clerk.get_by_role("button", name="Return for information").click()
    status_is(clerk, "returned for information")

    manager.goto(request_url)
    expect(manager.locator("#steps")).to_contain_text("Podaj NIP klienta")
    manager.locator("#resubmit-form").get_by_label("Cel").fill("Oferta na stal, NIP 5260250274")
    manager.get_by_role("button", name="Send back").click()
    status_is(manager, "in progress")

    clerk.reload()
    clerk.get_by_role("button", name="Deliver").click()
    expect(clerk.locator("label", has_text="Decyzja")).to_contain_text("fill in this field")
    clerk.get_by_label("Decyzja").select_option("approved")
    clerk.get_by_label("Limit").fill("100000")
    clerk.get_by_role("button", name="Deliver").click()
    status_is(clerk, "delivered")

    manager.goto(f"/deals/{world['deal']['id']}")
    timeline = manager.locator("ol.timeline")
    for _ in range(50):  # the output reaches deals as an event
        if timeline.get_by_text("Request delivered").count():
            break
        manager.wait_for_timeout(200)
        manager.reload()
    expect(timeline).to_contain_text("Decyzja: approved")
    expect(manager.locator("#record-requests")).to_contain_text("delivered")
    for page in (admin, manager, clerk):
        page.context.close()


def test_the_designers_preview_is_asked_for_when_the_design_changes_not_over_and_over(
    browser: Browser, crm: RunningCrm
) -> None:
    page = person(browser, crm, ADMIN_EMAIL, ADMIN_PASSWORD)
    previews: list[str] = []

    def noted(request: Request) -> None:
        if request.url.endswith("/services/preview"):
            previews.append(request.url)

    page.on("request", noted)
    page.goto("/services/new")
    expect(page.locator("#preview")).not_to_be_empty()
    page.wait_for_timeout(1500)
    on_load = len(previews)
    page.get_by_role("button", name="Add an input").click()
    expect(page.locator("#inputs-rows li")).to_have_count(1)
    page.wait_for_timeout(1500)

    assert on_load <= 2, on_load  # it asked 35-90 times a second before
    assert 1 <= len(previews) - on_load <= 3, len(previews) - on_load
    page.context.close()
