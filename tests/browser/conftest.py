"""Browser tests: the whole CRM (`crm run`, the session's `crm`) driven by Playwright in Chromium."""

import os
from collections.abc import Iterator

import pytest

from shared.testing.chromium import chromium_path, missing
from shared.testing.processes import RunningCrm as RunningCrm  # the browser tests' type of `crm`

pytestmark = pytest.mark.browser


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Chromium for the browser tests (one launch), closed when they are done: Playwright's event
    loop must be gone before the async tests run."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI: {missing()}")
        pytest.skip(missing())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()
