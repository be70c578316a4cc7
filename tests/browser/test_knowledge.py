"""The knowledge base in Chromium: drop a file, see its preview, search for it, open the hit."""

import base64
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.browser.conftest import RunningCrm
from tests.browser.test_shell import on_the_desk, sign_in
from tests.knowledge.files import pdf

pytestmark = pytest.mark.browser

DROP = """([name, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "application/pdf" }));
  const zone = document.querySelector("form.dropzone");
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
}"""


def test_a_dropped_pdf_is_previewed_found_by_an_inflected_word_and_opened(
    browser: Any, crm: RunningCrm
) -> None:
    context = browser.new_context(base_url=crm.url, locale="en-GB")
    page: Page = context.new_page()
    sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you")
    page.get_by_role("link", name="Knowledge base").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Knowledge base")

    content = pdf(["Procedura reklamacji", "Każdą umowę z klientem z Łodzi zatwierdza zarząd."])
    page.evaluate(DROP, ["Procedura reklamacji.pdf", base64.b64encode(content).decode()])

    expect(page).to_have_url(re.compile(r"/knowledge/documents/[0-9a-f-]+$"), timeout=15_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Procedura reklamacji")
    preview = page.locator("#preview iframe.pdf")
    expect(preview).to_be_visible()
    served = page.request.get(preview.get_attribute("src") or "")
    assert served.ok and served.body() == content
    assert served.headers["content-type"] == "application/pdf"
    document_url = page.url

    for _ in range(50):  # the text is read in the background
        page.goto("/knowledge/search?q=umowe+lodz")
        if page.locator("#results .hit").count():
            break
        page.wait_for_timeout(200)
    hit = page.locator("#results .hit").first
    expect(hit.locator("mark")).to_have_text(["umowę", "Łodzi"])
    hit.get_by_role("link").click()

    expect(page).to_have_url(document_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Procedura reklamacji")
    context.close()


def test_a_folder_gets_its_readers_and_a_page_written_in_it_from_the_pages_forms(
    browser: Any, crm: RunningCrm
) -> None:
    page = on_the_desk(browser, crm.url)
    page.goto("/knowledge")
    page.get_by_label("New folder").fill("Procedury działu")
    page.get_by_role("button", name="Add folder").click()
    page.get_by_role("link", name="Procedury działu").click()

    page.get_by_role("link", name="Readers and editors").click()
    readers = page.locator("fieldset").first.get_by_role("checkbox").first
    readers.check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/knowledge\?folder=[0-9a-f-]+$"))
    page.get_by_role("link", name="Readers and editors").click()
    expect(page.locator("fieldset").first.get_by_role("checkbox").first).to_be_checked()

    page.go_back()
    page.get_by_role("link", name="Write a page").click()
    page.get_by_label("Title").fill("Jak zgłosić reklamację")
    page.get_by_label("Text (Markdown)").fill("Najpierw **zdjęcie**, potem formularz.")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/knowledge/documents/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Jak zgłosić reklamację")
    page.context.close()
