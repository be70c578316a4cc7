"""An import stopped midway is interrupted with true counts and resumed without duplicates."""

import asyncio
from typing import Any

import pytest

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from services.deals.usecases import imports
from shared.bus import InProcessBus
from shared.testing.apps import identity_headers, running
from shared.testing.waiting import eventually
from tests.deals.conftest import NORTH, count, headers, rejected_rows, sql, upload

ROWS = 60


@pytest.fixture
def slow_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 5 rows, each taking a moment to write: a stop lands midway."""
    monkeypatch.setattr(imports, "BATCH_ROWS", 5)
    write = imports._write

    async def slowly(*args: Any) -> None:
        await asyncio.sleep(0.05)
        await write(*args)

    monkeypatch.setattr(imports, "_write", slowly)


def companies(rows: int) -> str:
    return "name\n" + "".join(f"Firma {n:03}\n" for n in range(rows))


async def test_an_import_stopped_with_its_service_is_resumed_from_where_it_stopped(
    new_database: Any, settings_for: Any, bus: InProcessBus, slow_batches: None
) -> None:
    settings = DealsSettings(**settings_for(await new_database("deals")))
    async with running(create_app(settings, bus)) as deals:
        deals.headers.update(identity_headers())
        job = (await upload(deals, companies(ROWS), "company", wait=False)).json()

        async def midway() -> bool:
            progress = (await deals.get(f"/api/imports/{job['id']}")).json()
            return bool(10 <= progress["processed"] < ROWS - 10)

        await eventually(midway, timeout=20, interval=0.01)
    # the service stopped with the import running: it interrupted it

    async with running(create_app(settings, bus)) as deals:
        deals.headers.update(identity_headers())
        stopped = (await deals.get(f"/api/imports/{job['id']}")).json()
        written = await count(deals, "company")
        resumed = await deals.post(f"/api/imports/{job['id']}/resume", params={"wait": "true"})
        again = await deals.post(f"/api/imports/{job['id']}/resume")
        names = await sql(deals, "SELECT count(DISTINCT name), count(*) FROM company")

    assert (stopped["status"], stopped["error"]) == (
        "interrupted",
        "the import stopped: the service was stopped while it ran",
    )
    assert stopped["processed"] == stopped["imported"] == written  # what was committed
    assert resumed.status_code == 201, resumed.text
    assert (resumed.json()["status"], resumed.json()["imported"]) == ("done", ROWS)
    assert names == [(ROWS, ROWS)]  # every row once
    assert again.status_code == 409


async def test_only_the_importer_or_an_administrator_resumes_and_only_what_did_not_finish(
    deals: Any, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", NORTH)
    done = (await upload(deals, companies(2), "company", who=headers(anna))).json()
    path = f"/api/imports/{done['id']}/resume"

    finished = await deals.post(path, headers=headers(anna))
    someone_elses = await deals.post(path, headers=headers(piotr))

    assert finished.status_code == 409 and someone_elses.status_code == 404


async def test_rejected_rows_defuse_formulas_as_exports_do(deals: Any) -> None:
    file = 'name,tax_id\n"=HYPERLINK(""http://x"",""y"")",123\n@SUM(A1),+48 600 100 200\n'

    job = (await upload(deals, file, "company")).json()
    rows = await rejected_rows(deals, job["id"])

    assert [row["name"] for row in rows] == ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)"]
    assert rows[1]["tax_id"] == "+48 600 100 200"  # a phone number is left as it is
