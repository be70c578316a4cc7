"""The kanban board: a card dropped on a gated stage asks for what the stage needs, then moves."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_shell import sign_in
from tests.knowledge.files import pdf

pytestmark = pytest.mark.browser


def api(crm: RunningCrm) -> httpx.Client:
    token = httpx.post(
        f"{crm.url}/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=crm.url, headers={"Authorization": f"Bearer {token}"})


def drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag like a hand does: press, move in steps, release (SortableJS follows the mouse)."""
    start, end = card.bounding_box(), target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 20, steps=15)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=5)
    page.mouse.up()


def test_dropping_a_card_on_a_gated_stage_asks_for_the_missing_fields_then_moves_it(
    browser: Any, crm: RunningCrm
) -> None:
    with api(crm) as client:
        [pipeline] = client.get("/api/pipelines").json()
        offer = next(s for s in pipeline["stages"] if s["name"] == "Commercial offer sent")
        client.put(
            f"/api/pipelines/{pipeline['id']}/stages/{offer['id']}/requirements",
            json={"fields": ["amount", "expected_close_date"]},
        ).raise_for_status()
        company = client.post("/api/companies", json={"name": "Przeglądarka S.A."}).json()
        deal = client.post(
            "/api/deals", json={"title": "Drag me", "company_id": company["id"]}
        ).json()
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Deals").click()
    offer_column = page.locator(f'.cards[data-stage-id="{offer["id"]}"]')
    card = page.locator(f'.deal-card[data-deal-id="{deal["id"]}"]')

    drag(page, card, offer_column)

    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name=amount]")).to_be_visible()
    expect(dialog.locator("input[name=expected_close_date]")).to_be_visible()
    expect(dialog.locator("input")).to_have_count(4)  # the two fields, the hidden stage and mark
    dialog.locator("input[name=amount]").fill("125000")
    dialog.locator("input[name=expected_close_date]").fill("2099-06-30")
    dialog.get_by_role("button", name="Save and move").click()

    expect(dialog).to_be_hidden()
    expect(offer_column.locator(f'[data-deal-id="{deal["id"]}"]')).to_be_visible()
    page.reload()
    expect(
        page.locator(f'.cards[data-stage-id="{offer["id"]}"] [data-deal-id="{deal["id"]}"]')
    ).to_be_visible()
    context.close()


def test_a_stage_asking_for_a_document_takes_the_offer_as_a_file_in_the_move_dialog(
    browser: Any, crm: RunningCrm, tmp_path: Path
) -> None:
    with api(crm) as client:
        [pipeline] = client.get("/api/pipelines").json()
        analysis = next(s for s in pipeline["stages"] if s["name"] == "Needs analysis")
        client.put(
            f"/api/pipelines/{pipeline['id']}/stages/{analysis['id']}/requirements",
            json={"fields": [], "document": True},
        ).raise_for_status()
        company = client.post("/api/companies", json={"name": "Oferta w pliku"}).json()
        deal = client.post(
            "/api/deals", json={"title": "Needs an offer", "company_id": company["id"]}
        ).json()
    offer = tmp_path / "oferta handlowa.pdf"
    offer.write_bytes(pdf(["Oferta handlowa"]))
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.goto("/deals")
    column = page.locator(f'.cards[data-stage-id="{analysis["id"]}"]')
    card = page.locator(f'.deal-card[data-deal-id="{deal["id"]}"]')

    drag(page, card, column)
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=document_file]").set_input_files(offer)
    dialog.get_by_role("button", name="Save and move").click()

    expect(dialog).to_be_hidden()
    expect(column.locator(f'[data-deal-id="{deal["id"]}"]')).to_be_visible()
    page.goto(f"/deals/{deal['id']}")
    expect(page.locator("#deal-documents")).to_contain_text("oferta handlowa")
    context.close()
