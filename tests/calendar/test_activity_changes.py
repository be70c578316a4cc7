"""Incremental sync of activities: `updated_since` pages through what changed, each activity
once, cancelled ones too, also when activities change while a copy pages through them."""

from typing import Any

from shared.testing.changes import changed, ids_once_in_order
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import call


async def test_paging_through_changed_activities_returns_each_once(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", group())

    async def plan(title: str) -> Any:
        answer = await calendar.call(anna, "POST", "/api/activities", json=call(title=title))
        assert answer.status_code == 201, answer.text
        return answer.json()

    made = [await plan(f"Telefon {n}") for n in range(5)]
    cancelled, first, second, third, fourth = (activity["id"] for activity in made)
    since = made[1]["updated_at"]
    await calendar.call(anna, "DELETE", f"/api/activities/{cancelled}")
    new: list[str] = []

    async def meanwhile() -> None:  # after the first page: one not yet read changes, one is new
        renamed = await calendar.call(
            anna, "PATCH", f"/api/activities/{third}", json={"title": "Telefon 3 nowy"}
        )
        assert renamed.status_code == 200, renamed.text
        new.append((await plan("Telefon 5"))["id"])

    listed = await changed(
        lambda params: calendar.call(anna, "GET", "/api/activities", params=params),
        since,
        during=meanwhile,
    )

    assert ids_once_in_order(listed) == [first, second, fourth, cancelled, third, *new]
    assert listed[3]["status"] == "cancelled" and listed[4]["title"] == "Telefon 3 nowy"
