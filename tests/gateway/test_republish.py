"""`crm events republish gateway ...` puts every user's, group's and department's state on its
snapshot topic from the database, on a real broker."""

import httpx
import pytest

from shared.contracts.gateway import DEPARTMENT_TOPIC, TEAM_TOPIC, USER_TOPIC
from shared.testing.kafka import KafkaBroker
from tests.gateway.conftest import add_team, add_user
from tests.republishing import republish

pytestmark = pytest.mark.kafka


async def test_republishing_puts_each_persons_and_groups_state_on_its_snapshot_topic(
    gateway: httpx.AsyncClient, admin: dict[str, str], kafka: KafkaBroker
) -> None:
    team = await add_team(gateway, admin, name="Północ")
    user = await add_user(gateway, admin, email="ola@contentum.pl", team_id=team["id"])
    await gateway.patch(f"/api/users/{user['id']}", json={"active": False}, headers=admin)
    made = await gateway.post(
        "/api/departments",
        json={"name": "Prawny", "working_hours": [{"start": "08:00", "end": "16:00"}] * 7},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    url = gateway._transport.app.state.settings.database_url  # type: ignore[attr-defined]

    said, users = await republish(kafka, "gateway", "user", url, USER_TOPIC)
    _, teams = await republish(kafka, "gateway", "team", url, TEAM_TOPIC)
    _, departments = await republish(kafka, "gateway", "department", url, DEPARTMENT_TOPIC)

    assert said == "gateway user: 2 snapshots published\n"  # the first administrator too
    ola = users[user["id"]]
    assert ola is not None and ola["type"] == "crm.user.updated.v1"
    assert ola["data"]["active"] is False and ola["data"]["team_id"] == team["id"]
    assert teams[team["id"]]["data"]["name"] == "Północ"  # type: ignore[index]
    assert departments[made.json()["id"]]["data"]["name"] == "Prawny"  # type: ignore[index]
