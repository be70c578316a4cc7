"""`crm events republish calendar activity` puts every activity's state on its snapshot topic
from the database, on a real broker; `--since` only those changed since."""

import pytest

from shared.contracts.calendar import ACTIVITY_TOPIC
from shared.testing.kafka import KafkaBroker
from tests.calendar.conftest import Calendar, Hire, group
from tests.calendar.test_activities import call
from tests.republishing import database_url_of, republish

pytestmark = pytest.mark.kafka


async def test_republishing_puts_each_activitys_state_on_its_snapshot_topic(
    calendar: Calendar, hire: Hire, kafka: KafkaBroker
) -> None:
    anna = await hire("manager", group())
    made = [
        (await calendar.call(anna, "POST", "/api/activities", json=call(title=f"T{n}"))).json()
        for n in range(3)
    ]
    await calendar.call(anna, "DELETE", f"/api/activities/{made[0]['id']}")
    cancelled = (await calendar.call(anna, "GET", f"/api/activities/{made[0]['id']}")).json()

    output, held = await republish(
        kafka, "calendar", "activity", database_url_of(calendar.client), ACTIVITY_TOPIC
    )
    since = ["--since", cancelled["updated_at"]]
    again, newest = await republish(
        kafka, "calendar", "activity", database_url_of(calendar.client), ACTIVITY_TOPIC, *since
    )

    assert output == "calendar activity: 3 snapshots published\n"
    assert set(held) == {activity["id"] for activity in made}
    first = held[made[0]["id"]]
    assert first is not None and first["type"] == "crm.activity.cancelled.v1"
    assert first["data"]["status"] == "cancelled" and first["time"].startswith(
        cancelled["updated_at"][:19]
    )
    assert held[made[1]["id"]]["data"]["title"] == "T1"  # type: ignore[index]
    assert again == "calendar activity: 1 snapshots published\n"
    assert set(newest) == {made[0]["id"]}
