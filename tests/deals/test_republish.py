"""`crm events republish deals ...` puts every company's, contact's and deal's state on its
snapshot topic from the database, on a real broker: owners kept, archived ones as tombstones."""

import httpx
import pytest

from shared.contracts.deals import COMPANY_TOPIC, CONTACT_TOPIC, DEAL_TOPIC
from shared.testing.kafka import KafkaBroker
from tests.deals.conftest import company
from tests.republishing import database_url_of, republish

pytestmark = pytest.mark.kafka


async def test_republishing_puts_each_records_state_on_its_snapshot_topic(
    deals: httpx.AsyncClient, kafka: KafkaBroker
) -> None:
    kept, archived = await company(deals, "Zostaje"), await company(deals, "Archiwalna")
    owner = (await deals.get(f"/api/companies/{kept}")).json()["owner_id"]
    assert owner is not None  # the creator looks after it
    await deals.post(f"/api/companies/{archived}/archive")
    person = await deals.post("/api/contacts", json={"name": "Jan Nowak", "company_id": kept})
    deal = await deals.post("/api/deals", json={"title": "Dostawa", "company_id": kept})
    url = database_url_of(deals)

    said, companies = await republish(kafka, "deals", "company", url, COMPANY_TOPIC)
    _, contacts = await republish(kafka, "deals", "contact", url, CONTACT_TOPIC)
    _, deals_held = await republish(kafka, "deals", "deal", url, DEAL_TOPIC)

    assert said == "deals company: 2 snapshots published\n"
    assert companies[archived] is None  # a tombstone
    state = companies[kept]
    assert state is not None and state["type"] == "crm.company.updated.v1"
    assert state["data"]["name"] == "Zostaje" and state["data"]["owner_id"] == owner
    assert set(contacts) == {person.json()["id"]}
    assert deals_held[deal.json()["id"]]["data"]["title"] == "Dostawa"  # type: ignore[index]
