"""Incremental sync of documents: `updated_since` pages through what changed, each document
once, archived ones only when asked, also when documents change while a copy pages."""

from typing import Any

from shared.testing.changes import changed, ids_once_in_order
from tests.knowledge.conftest import Hire, Knowledge
from tests.knowledge.files import pdf


async def test_paging_through_changed_documents_returns_each_once(
    knowledge: Knowledge, hire: Hire
) -> None:
    admin = await hire("admin")
    made = [await knowledge.upload(admin, f"d{n}.pdf", pdf([f"Dokument {n}"])) for n in range(5)]
    archived, first, second, third, fourth = (document["id"] for document in made)
    since = made[1]["updated_at"]
    gone = await knowledge.call(admin, "DELETE", f"/api/documents/{archived}")
    assert gone.status_code == 200, gone.text
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        renamed = await knowledge.call(
            admin, "PATCH", f"/api/documents/{third}", json={"title": "Dokument 3 nowy"}
        )
        assert renamed.status_code == 200, renamed.text
        new.append((await knowledge.upload(admin, "d5.pdf", pdf(["Dokument 5"])))["id"])

    def listing(params: dict[str, Any]) -> Any:
        return knowledge.call(admin, "GET", "/api/documents", params=params)

    everything = await changed(listing, since, during=meanwhile, include_archived="true")
    live = await changed(listing, since)

    assert ids_once_in_order(everything) == [first, second, fourth, archived, third, *new]
    assert everything[3]["archived_at"] is not None
    assert ids_once_in_order(live) == [first, second, fourth, third, *new]
