"""`crm events republish planning line` puts every submitted line's state on its snapshot
topic from the database, on a real broker; drafts stay unpublished."""

import httpx
import pytest

from shared.bus import InProcessBus
from shared.contracts.planning import PLAN_TOPIC
from shared.testing.apps import identity_headers
from shared.testing.kafka import KafkaBroker
from tests.planning.test_lines import NORTH, client, line, person
from tests.republishing import database_url_of, republish

pytestmark = pytest.mark.kafka


async def test_republishing_puts_each_submitted_lines_state_on_its_snapshot_topic(
    planning: httpx.AsyncClient, bus: InProcessBus, kafka: KafkaBroker
) -> None:
    anna, boss = await person(bus, "manager", NORTH), await person(bus, "head", NORTH)
    as_anna = identity_headers(anna)
    made = [
        (
            await planning.post(
                "/api/plans/lines", json=line(anna, await client(bus, name)), headers=as_anna
            )
        ).json()
        for name in ("Orlen", "Lotos", "Ciech")
    ]
    draft, submitted, reviewed = (one["id"] for one in made)
    for one in (submitted, reviewed):
        await planning.post(f"/api/plans/lines/{one}/submit", headers=as_anna)
    await planning.post(
        f"/api/plans/lines/{reviewed}/review",
        json={"decision": "approved", "comment": "Dobrze"},
        headers=identity_headers(boss),
    )

    said, held = await republish(kafka, "planning", "line", database_url_of(planning), PLAN_TOPIC)

    assert said == "planning line: 2 snapshots published\n"
    assert set(held) == {submitted, reviewed} and draft not in held
    assert held[submitted]["type"] == "crm.plan.submitted.v1"  # type: ignore[index]
    decided = held[reviewed]
    assert decided is not None and decided["type"] == "crm.plan.reviewed.v1"
    assert decided["data"]["reviewer_id"] == boss.user_id
    assert decided["data"]["comment"] == "Dobrze" and decided["data"]["client_name"] == "Ciech"
