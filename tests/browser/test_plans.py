"""The plan: a manager opens an empty grid (no console error), adds two clients (they stay after a
reload), plans a month for both with the totals following, submits and reads a line's history;
the head approves both at once, then doubts one line; the company's final plan counts only the
approved one, and its charts are drawn."""

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.waiting import eventually_sync
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

    def planning_knows_the_clients() -> bool:  # planning learns them through events
        clients = client.get("/api/plans/clients", params={"limit": 200}).json()["items"]
        return {"Alfa Plan sp. z o.o.", "Beta Plan S.A."} <= {c["name"] for c in clients}

    eventually_sync(planning_knows_the_clients, timeout=10)


def open_page(browser: Any, crm: RunningCrm, email: str, password: str, path: str) -> Any:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.goto(path)
    return context, page


def type_amount(page: Page, cell: str, amount: str) -> None:
    """Type into a grid cell (named by its client and period) and leave it, as a hand does, once
    the page has taken in the last answer (a cell swapped in listens once HTMX has settled it)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    box = page.get_by_role("textbox", name=cell, exact=True)
    box.fill(amount)
    box.press("Tab")


def plan_in_the_grid(page: Page) -> None:
    """Add both clients as rows (kept after a reload), type each December amount in its cell,
    submit December, read Alfa's history."""
    for client_name in ("Alfa Plan sp. z o.o.", "Beta Plan S.A."):
        page.get_by_label("Client to plan").select_option(label=client_name)
        page.get_by_role("button", name="Add a row").click()
        expect(page.locator("#plan-grid tbody")).to_contain_text(client_name)
    page.reload()
    expect(page.locator("#plan-grid tbody th")).to_contain_text(["Alfa Plan", "Beta Plan"])
    alfa, beta = (page.locator("tr", has_text=name) for name in ("Alfa Plan", "Beta Plan"))
    type_amount(page, "Alfa Plan sp. z o.o. December 2026", "1000")
    expect(alfa.locator(".status")).to_have_text("draft")
    type_amount(page, "Beta Plan S.A. December 2026", "four hundred")
    expect(beta.get_by_role("alert")).to_contain_text("Enter a number.")
    type_amount(page, "Beta Plan S.A. December 2026", "400")
    expect(beta.locator(".status")).to_have_text("draft")
    expect(page.locator("#grid-total")).to_have_text(re.compile(r"1,400\.00"))
    expect(page.locator("#column-total-2026-12-01")).to_have_text(re.compile(r"1,400\.00"))
    page.get_by_role("button", name="Submit December 2026").click()
    expect(page.get_by_role("status")).to_have_text("2 lines submitted.")
    expect(page.locator("#plan-grid tbody .status")).to_have_text(["submitted", "submitted"])
    page.get_by_role("button", name="History Alfa Plan sp. z o.o. December 2026").click()
    expect(page.locator("#plan-history li")).to_have_text(
        [
            re.compile("status from draft to submitted"),
            re.compile("amount to"),
            re.compile("status to draft"),
        ]
    )


def review_as_head(page: Page) -> None:
    """Approve both lines at once, then mark one of them doubtful on its own row."""
    page.get_by_label("Select Alfa Plan sp. z o.o.").check()
    page.get_by_label("Select Beta Plan S.A.").check()
    page.get_by_label("Decision").select_option("approved")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status")).to_have_text("2 lines marked approved.")
    expect(page.locator("#review-lines")).to_contain_text("No lines to show.")
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Show").click()
    beta = page.locator("#review-lines tr", has_text="Beta Plan")
    beta.get_by_label("Comment on Beta Plan S.A.").fill("za dużo")
    beta.get_by_role("button", name="Doubtful").click()
    expect(page.get_by_role("status")).to_have_text("1 line marked doubtful.")
    expect(page.locator("#review-lines tr", has_text="Alfa Plan")).to_contain_text("approved")


CANVAS_HAS_INK = """id => {
    const canvas = document.getElementById(id);
    if (!window.Chart || !window.Chart.getChart(canvas)) return false;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    return pixels.some((value, i) => i % 4 === 3 && value > 0);
}"""


def test_a_doubtful_line_stays_out_of_the_companys_final_plan(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        people_and_clients(client)

    grid = "/plans?period=month&start=2026-12-01"
    context, page = open_page(browser, crm, "marek.plan@contentum.pl", PASSWORD, "/")
    errors: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(grid)
    expect(page.locator("#plan-grid")).to_contain_text("No clients planned")
    assert errors == [], errors
    plan_in_the_grid(page)
    context.close()

    review = "/plans/review?period=month&start=2026-12-01"
    context, page = open_page(browser, crm, "beata.plan@contentum.pl", PASSWORD, review)
    review_as_head(page)
    context.close()

    totals = "/plans/groups?period=month&start=2026-12-01"
    context, page = open_page(browser, crm, ADMIN_EMAIL, ADMIN_PASSWORD, totals)
    expect(page.locator("#total-submitted")).to_have_text(re.compile(r"1,400\.00"))
    expect(page.locator("#total-final")).to_have_text(re.compile(r"1,000\.00"))
    for chart in ("children-chart", "trend-chart"):
        page.wait_for_function(CANVAS_HAS_INK, arg=chart, timeout=5000)
    context.close()
