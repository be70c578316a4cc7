"""The gateway's sales groups and people reach planning's group tree over real Kafka."""

from typing import Any

import pytest

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.planning.app import create_app as create_planning
from services.planning.settings import PlanningSettings
from shared.testing.apps import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, identity_headers, running
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually

pytestmark = pytest.mark.kafka

PASSWORD = "a long enough password"


def find(nodes: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for node in nodes:
        if node["name"] == name:
            return node
        if found := find(node["children"], name):
            return found
    return None


async def test_a_new_group_and_a_user_moved_between_groups_show_in_planning(
    kafka: KafkaBroker, new_database: Any, settings_for: Any
) -> None:
    gateway_settings = GatewaySettings(
        **settings_for(await new_database("gateway"), kafka.bootstrap_servers),
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
    )
    planning_settings = PlanningSettings(
        **settings_for(await new_database("planning"), kafka.bootstrap_servers)
    )
    async with (
        running(create_gateway(gateway_settings)) as gateway,
        running(create_planning(planning_settings)) as planning,
    ):
        admin = await bearer(gateway, ADMIN_EMAIL, ADMIN_PASSWORD)
        planning.headers.update(identity_headers())
        north = (await gateway.post("/api/teams", json={"name": "Północ"}, headers=admin)).json()
        south = (await gateway.post("/api/teams", json={"name": "Południe"}, headers=admin)).json()
        body = {
            "email": "marek@contentum.pl",
            "name": "Marek",
            "password": PASSWORD,
            "team_id": north["id"],
        }
        marek = (await gateway.post("/api/users", json=body, headers=admin)).json()

        async def in_group(name: str) -> bool:
            tree = (await planning.get("/api/plans/teams")).json()
            group = find(tree, name)
            return group is not None and any(m["id"] == marek["id"] for m in group["members"])

        await eventually(lambda: in_group("Północ"), timeout=30, interval=0.2)
        moved = await gateway.patch(
            f"/api/users/{marek['id']}", json={"team_id": south["id"]}, headers=admin
        )
        assert moved.status_code == 200

        await eventually(lambda: in_group("Południe"), timeout=30, interval=0.2)
        tree = (await planning.get("/api/plans/teams")).json()
        [company] = tree
        assert {child["name"] for child in company["children"]} == {"Północ", "Południe"}
        assert not any(m["id"] == marek["id"] for m in find(tree, "Północ")["members"])  # type: ignore[index]
