"""Browser tests: the whole CRM (`crm run`) driven by Playwright in Debian's Chromium."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.postgres import database_url, start_embedded_server
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD
from shared.testing.chromium import chromium_path, missing
from shared.testing.processes import crm_process, free_port

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class RunningCrm:
    url: str
    data_dir: Path

    def database_url(self, service: str) -> str:
        """The URL of a service's database on the embedded server `crm run` started."""
        return database_url(start_embedded_server(self.data_dir), f"crm_{service}")


@pytest.fixture(scope="session")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCrm]:
    """The whole CRM in one process, as `make run` starts it, on a fresh embedded database."""
    scratch = tmp_path_factory.mktemp("crm-run")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DATABASE_URL": "",
        "CRM_ADMIN_EMAIL": ADMIN_EMAIL,
        "CRM_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CRM_ADMIN_LOCALE": "en",
        "CALENDAR_SCHEDULER_INTERVAL": "0.5",
    }
    args = ["run", "--port", str(port), "--data-dir", str(scratch / "pg")]
    with crm_process(args, env=env, log=scratch / "crm.log", url=url):
        yield RunningCrm(url, scratch / "pg")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one module: Playwright's event loop must be gone before async tests run."""
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
