"""The import history: one's own imports newest first; jobs whose worker died are interrupted."""

from typing import Any

import asyncpg
import httpx
from sqlalchemy import text

from services.deals.app import create_app
from services.deals.settings import DealsSettings
from shared.bus import InProcessBus
from shared.postgres import asyncpg_dsn
from shared.testing.apps import identity_headers, running
from tests.deals.conftest import NORTH, SOUTH, headers, rejected_rows, upload


async def test_the_history_lists_ones_own_imports_newest_first_page_by_page(
    deals: httpx.AsyncClient, hire: Any
) -> None:
    anna, piotr = await hire("manager", NORTH), await hire("manager", SOUTH)
    for n in range(3):
        file = f"name\nFirma {n}\n" + ("Dobra\nZła,za dużo\n" if n == 1 else "")
        await upload(deals, file, "company", who=headers(anna), name=f"firmy-{n}.csv")
    await upload(deals, "name\nFirma Piotra\n", "company", who=headers(piotr))

    first = (await deals.get("/api/imports?limit=2", headers=headers(anna))).json()
    rest = await deals.get(
        f"/api/imports?limit=2&cursor={first['next_cursor']}", headers=headers(anna)
    )
    everyone = (await deals.get("/api/imports")).json()

    jobs = first["items"] + rest.json()["items"]
    assert [job["file_name"] for job in jobs] == ["firmy-2.csv", "firmy-1.csv", "firmy-0.csv"]
    assert rest.json()["next_cursor"] is None
    assert [(job["status"], job["imported"], job["rejected"]) for job in jobs] == [
        ("done", 1, 0),
        ("done", 2, 1),
        ("done", 1, 0),
    ]
    assert {job["created_by"] for job in jobs} == {anna.user_id}
    assert len(everyone["items"]) == 4  # the administrator sees everyone's
    [refused] = await rejected_rows(deals, jobs[1]["id"], headers(anna))
    assert refused["row"] == "4"


async def write(client: httpx.AsyncClient, statement: str, **values: Any) -> None:
    sessions = client._transport.app.state.sessions  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        await session.execute(text(statement), values)


async def test_a_job_whose_worker_is_gone_is_interrupted_when_the_service_starts_again(
    new_database: Any, settings_for: Any, bus: InProcessBus
) -> None:
    url = await new_database("deals")
    settings = DealsSettings(**settings_for(url))
    left_running = "UPDATE import_job SET status = 'running', finished_at = NULL"
    async with running(create_app(settings, bus)) as deals:
        deals.headers.update(identity_headers())
        dead = (await upload(deals, "name\nFirma\n", "company")).json()
        alive = (await upload(deals, "name\nInna\n", "company")).json()
        await write(deals, left_running)
    worker = await asyncpg.connect(asyncpg_dsn(url))  # another process's worker holds its lock
    await worker.execute(
        "SELECT pg_advisory_lock(hashtextextended($1, 0))", f"import_job:{alive['id']}"
    )

    async with running(create_app(settings, bus)) as deals:  # the service starts again
        deals.headers.update(identity_headers())
        jobs = {job["id"]: job for job in (await deals.get("/api/imports")).json()["items"]}
        await worker.close()  # that worker dies too
        alive_later = (await deals.get(f"/api/imports/{alive['id']}")).json()

    assert (jobs[dead["id"]]["status"], jobs[dead["id"]]["error"]) == (
        "interrupted",
        "the import stopped: the service running it ended unexpectedly",
    )
    assert jobs[dead["id"]]["finished_at"] is not None
    assert jobs[alive["id"]]["status"] == "running"  # its worker holds its lock: it runs
    assert alive_later["status"] == "interrupted"  # looked at once its worker is gone
