"""The import history: one's own imports (an administrator's: everyone's), newest first."""

from typing import Any

import httpx

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
