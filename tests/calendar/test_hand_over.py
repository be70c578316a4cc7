"""A person leaves: what they have planned goes to a colleague in one go."""

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from shared.bus import InProcessBus
from shared.testing.people import user_left
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import SOON, call


async def planned(calendar: Calendar, who: Any, **fields: Any) -> dict[str, Any]:
    answer = await calendar.call(who, "POST", "/api/activities", json=call(**fields))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def test_a_leavers_scheduled_activities_go_to_a_colleague_done_ones_stay(
    calendar: Calendar, hire: Hire, bus: InProcessBus
) -> None:
    north = group()
    anna, piotr, boss = (
        await hire("manager", north),
        await hire("manager", north),
        await hire("head", north),
    )
    meeting = await planned(calendar, anna, kind="meeting", participant_ids=[piotr.user_id])
    weekly = await planned(calendar, anna, rrule="FREQ=WEEKLY;COUNT=4")
    overdue = await planned(
        calendar,
        anna,
        start=(SOON - timedelta(days=4)).isoformat(),
        end=(SOON - timedelta(days=4, minutes=-30)).isoformat(),
    )
    done = await planned(calendar, anna)
    reported = await calendar.call(
        anna,
        "POST",
        f"/api/activities/{done['id']}/outcome",
        json={"result": "completed", "note": "Zrobione"},
    )
    assert reported.status_code == 200, reported.text
    dropped = await planned(calendar, anna)
    assert (await calendar.call(anna, "DELETE", f"/api/activities/{dropped['id']}")).is_success
    shared = await planned(calendar, anna)
    his = await planned(calendar, piotr)
    async with calendar.sessions() as session, session.begin():  # both imported one invitation
        await session.execute(
            text("UPDATE activity SET uid = :uid WHERE id = :id"),
            {"uid": "invite@example.com", "id": his["id"]},
        )
        await session.execute(
            text("UPDATE activity SET uid = :uid WHERE id = :id"),
            {"uid": "invite@example.com", "id": shared["id"]},
        )
    await bus.publish([user_left(anna, north)])
    body = {"from_owner_id": anna.user_id, "to_owner_id": piotr.user_id}

    answer = await calendar.call(boss, "POST", "/api/activities/hand-over", json=body)

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"activities": 3}
    owners = {}
    for activity in (meeting, weekly, overdue, done, dropped, shared):
        found = await calendar.call(boss, "GET", f"/api/activities/{activity['id']}")
        owners[activity["id"]] = found.json()["owner_id"]
    assert [owners[a["id"]] for a in (meeting, weekly, overdue)] == [piotr.user_id] * 3
    assert [owners[a["id"]] for a in (done, dropped, shared)] == [anna.user_id] * 3
    moved = (await calendar.call(piotr, "GET", f"/api/activities/{meeting['id']}")).json()
    assert moved["participant_ids"] == [] and moved["sequence"] == meeting["sequence"] + 1
    async with calendar.sessions() as session:
        reminders = await session.scalar(
            text("SELECT count(*) FROM alarm WHERE activity_id = :id AND fired_at IS NULL"),
            {"id": meeting["id"]},
        )
    assert reminders


async def test_only_an_administrator_or_the_head_within_the_group_hands_over(
    calendar: Calendar, hire: Hire, bus: InProcessBus
) -> None:
    north, south = group(), group()
    anna, piotr = await hire("manager", north), await hire("manager", north)
    ola, boss, other_boss = (
        await hire("manager", south),
        await hire("head", north),
        await hire("head", south),
    )
    gone = await hire("manager", north)
    await bus.publish([user_left(gone, north)])
    kept = await planned(calendar, anna)

    def handing(who: Any, to: Any) -> Any:
        body = {"from_owner_id": anna.user_id, "to_owner_id": to.user_id}
        return calendar.call(who, "POST", "/api/activities/hand-over", json=body)

    assert (await handing(anna, piotr)).status_code == 403
    assert (await handing(piotr, piotr)).status_code == 403
    assert (await handing(other_boss, ola)).status_code == 403
    assert (await handing(boss, ola)).status_code == 403
    assert (await handing(boss, gone)).status_code == 422
    to_herself = await handing(boss, anna)
    assert to_herself.status_code == 422
    assert to_herself.json()["detail"][0]["loc"][-1] == "to_owner_id"
    found = await calendar.call(anna, "GET", f"/api/activities/{kept['id']}")
    assert found.json()["owner_id"] == anna.user_id
