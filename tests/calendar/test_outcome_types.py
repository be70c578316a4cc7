"""The administrator renames outcome types, the built-in ones too, and never loses a built-in."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from tests.calendar.conftest import Calendar, Hire


async def test_a_renamed_built_in_type_keeps_its_code_and_reports_still_use_it(
    calendar: Calendar, hire: Hire
) -> None:
    anna = await hire("manager", uuid4())
    url = "/api/calendar/outcome-types"
    await calendar.client.post(url, json={"code": "offer_sent", "label": "Offer sent"})

    renamed = await calendar.client.patch(f"{url}/completed", json={"label": "Zrealizowane"})
    own = await calendar.client.patch(f"{url}/offer_sent", json={"label": "Oferta wysłana"})
    not_admin = await calendar.call(anna, "PATCH", f"{url}/no_answer", json={"label": "Nic"})
    unknown = await calendar.client.patch(f"{url}/no_such_type", json={"label": "X"})
    empty = await calendar.client.patch(f"{url}/no_answer", json={"label": ""})
    retire_built_in = await calendar.client.delete(f"{url}/completed")
    activity = await calendar.plan(anna, datetime.now(UTC) + timedelta(hours=1))
    reported = await calendar.call(
        anna,
        "POST",
        f"/api/activities/{activity['id']}/outcome",
        json={"result": "completed", "note": "Umowa podpisana."},
    )

    assert renamed.status_code == 200 and renamed.json()["builtin"] is True
    assert own.status_code == 200
    assert not_admin.status_code == 403 and unknown.status_code == 404
    assert empty.status_code == 422 and retire_built_in.status_code == 422
    assert reported.status_code == 200, reported.text
    listed = {t["code"]: t for t in (await calendar.client.get(url)).json()}
    assert list(listed) == ["completed", "no_answer", "rescheduled", "cancelled", "offer_sent"]
    assert listed["completed"] == {"code": "completed", "label": "Zrealizowane", "builtin": True}
    assert listed["no_answer"]["label"] is None  # named by the page, in each reader's language
    assert listed["offer_sent"]["label"] == "Oferta wysłana"
