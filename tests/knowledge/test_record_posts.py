"""Posts on a record: a deal's, company's or contact's own thread, checked against what the
author may see (knowledge's replica of deals, fed by deals' events)."""

from uuid import uuid4

from shared.bus import InProcessBus
from shared.contracts.deals import DealArchived
from shared.testing.people import as_message
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.feed import open_deal, post, texts


async def test_a_deals_thread_is_read_and_written_only_by_those_who_see_the_deal(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    north, south = await add_group(bus), await add_group(bus)
    anna, ewa = await hire("manager", north), await hire("manager", south)
    head = await hire("head", north)
    deal = await open_deal(bus, anna)
    on_deal = {"target": "deal", "target_id": str(deal["deal_id"])}
    on_company = {"target": "company", "target_id": str(deal["company_id"])}
    thread = {"record_kind": "deal", "record_id": str(deal["deal_id"])}

    note = await post(knowledge, anna, "Klient chce dostawy w styczniu", record=on_deal)
    by_head = await post(knowledge, head, "Zadzwoń do prezesa", record=on_deal)
    not_hers = await knowledge.call(
        ewa, "POST", "/api/posts", json={"text": "Ja też", "record": on_deal}
    )
    unknown = await knowledge.call(
        anna,
        "POST",
        "/api/posts",
        json={"text": "?", "record": {"target": "deal", "target_id": str(uuid4())}},
    )
    on_the_company = await post(knowledge, ewa, "Huta płaci w terminie", record=on_company)

    assert await texts(knowledge, anna, **thread) == [by_head["text"], note["text"]]
    assert note["record"] == on_deal and note["record_name"] == "Dostawa stali"
    assert await texts(knowledge, ewa, **thread) == []
    assert (await knowledge.call(ewa, "GET", f"/api/posts/{note['id']}")).status_code == 404
    assert not_hers.status_code == 422 and unknown.status_code == 422
    assert on_the_company["record_name"] == "Huta Łabędy"
    assert on_the_company["text"] in await texts(knowledge, anna)

    archived = DealArchived(**{**deal, "archived": True})
    await bus.publish([as_message(archived, archived.deal_id)])
    closed = await knowledge.call(anna, "POST", "/api/posts", json={"text": "x", "record": on_deal})
    assert closed.status_code == 422
    assert closed.json()["detail"][0]["msg"] == "the record is archived"
