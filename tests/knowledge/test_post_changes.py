"""Incremental sync of posts: `updated_since` pages through what changed, each post once,
deleted ones only when asked (without what they said), also when posts change meanwhile."""

from typing import Any

from shared.bus import InProcessBus
from shared.testing.changes import changed, ids_once_in_order
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.feed import post


async def test_paging_through_changed_posts_returns_each_once(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    anna = await hire("manager", await add_group(bus))
    made = [await post(knowledge, anna, f"Wpis {n}") for n in range(5)]
    deleted, first, second, third, fourth = (one["id"] for one in made)
    since = made[1]["updated_at"]
    gone = await knowledge.call(anna, "DELETE", f"/api/posts/{deleted}")
    assert gone.status_code == 204, gone.text
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        said = await knowledge.call(
            anna, "POST", f"/api/posts/{third}/comments", json={"text": "Dopisek"}
        )
        assert said.status_code == 201, said.text
        new.append((await post(knowledge, anna, "Wpis 5"))["id"])

    def listing(params: dict[str, Any]) -> Any:
        return knowledge.call(anna, "GET", "/api/feed", params=params)

    everything = await changed(listing, since, during=meanwhile, include_archived="true")
    live = await changed(listing, since)

    assert ids_once_in_order(everything) == [first, second, fourth, deleted, third, *new]
    assert everything[3]["deleted_at"] is not None and everything[3]["text"] == ""
    assert everything[4]["comment_count"] == 1
    assert ids_once_in_order(live) == [first, second, fourth, third, *new]
    assert all(item["deleted_at"] is None for item in live)
