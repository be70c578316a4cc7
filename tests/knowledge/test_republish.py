"""`crm events republish knowledge ...` puts every document's, service's, request's and post's
state on its snapshot topic from the database, on a real broker: an archived document and a
deleted post as tombstones, a request as the event of the step that brought it where it is."""

import pytest

from shared.contracts.knowledge import DOCUMENT_TOPIC, POST_TOPIC, REQUEST_TOPIC, SERVICE_TOPIC
from shared.testing.kafka import KafkaBroker
from tests.knowledge.feed import post
from tests.knowledge.files import pdf
from tests.knowledge.services_world import World, world
from tests.republishing import republish

__all__ = ["world"]
pytestmark = pytest.mark.kafka


async def test_republishing_puts_each_records_state_on_its_snapshot_topic(
    world: World, kafka: KafkaBroker
) -> None:
    knowledge, admin, manager = world.knowledge, world.admin, world.manager
    kept = await knowledge.upload(admin, "cennik.pdf", pdf(["Cennik"]))
    archived = await knowledge.upload(admin, "stary.pdf", pdf(["Stary"]))
    await knowledge.call(admin, "DELETE", f"/api/documents/{archived['id']}")
    waiting = (await world.raise_credit_check()).json()
    returned = (await world.raise_credit_check()).json()
    await world.step(world.clerk, returned["id"], "accept")
    await world.step(world.clerk, returned["id"], "return", comment="Podaj NIP")
    live, deleted = await post(knowledge, manager, "Wpis"), await post(knowledge, manager, "Usuń")
    await knowledge.call(manager, "DELETE", f"/api/posts/{deleted['id']}")
    url = knowledge.database_url

    _, documents = await republish(kafka, "knowledge", "document", url, DOCUMENT_TOPIC)
    _, services = await republish(kafka, "knowledge", "service", url, SERVICE_TOPIC)
    said, requests = await republish(kafka, "knowledge", "request", url, REQUEST_TOPIC)
    _, posts = await republish(kafka, "knowledge", "post", url, POST_TOPIC)

    assert documents[archived["id"]] is None
    assert documents[kept["id"]]["type"] == "crm.document.versioned.v1"  # type: ignore[index]
    assert documents[kept["id"]]["data"]["author_id"] == admin.user_id  # type: ignore[index]
    service = services[world.service["id"]]
    assert service is not None and service["data"]["name"] == world.service["name"]
    assert [f["key"] for f in service["data"]["outputs"]] == ["decision", "limit"]
    assert said == "knowledge request: 2 snapshots published\n"
    assert requests[waiting["id"]]["type"] == "crm.request.submitted.v1"  # type: ignore[index]
    back = requests[returned["id"]]
    assert back is not None and back["type"] == "crm.request.returned.v1"
    assert (
        back["data"]["comment"] == "Podaj NIP" and back["data"]["actor_id"] == world.clerk.user_id
    )
    assert posts[deleted["id"]] is None
    assert posts[live["id"]]["data"]["text"] == "Wpis"  # type: ignore[index]
