"""What a document may be attached to: the deals, companies and contacts its linker sees."""

from typing import Any
from uuid import uuid4

from sqlalchemy import text

from shared.bus import InProcessBus
from shared.testing.records import (
    Announce,
    company_created,
    contact_created,
    customer_access_changed,
    deal_created,
)
from tests.knowledge.conftest import Hire, Knowledge, add_group
from tests.knowledge.files import pdf
from tests.knowledge.services_world import announce_deal


def refused_on(answer: Any) -> set[str]:
    assert answer.status_code == 422, answer.text
    return {problem["loc"][-1] for problem in answer.json()["detail"]}


async def test_a_document_is_attached_only_to_a_deal_its_linker_sees(
    knowledge: Knowledge, hire: Hire, announce: Announce
) -> None:
    north = uuid4()
    anna, bogdan = await hire("manager", north), await hire("manager", north)
    boss = await hire("head", north)
    bogdans = await announce(deal_created(bogdan.user_id))
    document = await knowledge.upload(anna, "oferta.pdf", pdf(["Oferta"]))
    links = f"/api/documents/{document['id']}/links"

    uploaded_for = await knowledge.call(
        anna,
        "POST",
        "/api/documents",
        files={"file": ("cudza.pdf", pdf(["Cudza"]))},
        data={"deal_id": bogdans},
    )
    linked = await knowledge.call(
        anna, "POST", links, json={"target": "deal", "target_id": bogdans}
    )
    unknown = await knowledge.call(
        anna, "POST", links, json={"target": "deal", "target_id": str(uuid4())}
    )
    by_owner = await knowledge.upload(bogdan, "oferta.pdf", pdf(["Jego"]), deal_id=bogdans)
    by_head = await knowledge.upload(boss, "oferta.pdf", pdf(["Szefa"]), deal_id=bogdans)

    assert refused_on(uploaded_for) == {"deal_id"}
    assert refused_on(linked) == refused_on(unknown) == {"target_id"}
    assert by_owner["links"] and by_head["links"]
    announced = await knowledge.events("crm.document.linked.v1")
    assert sorted(e["linked_by"] for e in announced) == sorted([bogdan.user_id, boss.user_id])


async def test_a_document_is_attached_to_a_company_by_who_reads_customers(
    knowledge: Knowledge, hire: Hire, announce: Announce
) -> None:
    anna, ola = await hire("manager", uuid4()), await hire("manager", uuid4())
    olas = await announce(company_created(ola.user_id))
    document = await knowledge.upload(anna, "cennik.pdf", pdf(["Cennik"]))
    links = f"/api/documents/{document['id']}/links"
    body = {"target": "company", "target_id": olas}

    while_all_read = await knowledge.call(anna, "POST", links, json=body)
    await announce(customer_access_changed("group"))
    another = await knowledge.upload(anna, "regulamin.pdf", pdf(["Regulamin"]))
    once_group_reads = await knowledge.call(
        anna, "POST", f"/api/documents/{another['id']}/links", json=body
    )

    assert while_all_read.status_code == 201
    assert refused_on(once_group_reads) == {"target_id"}


async def test_a_document_is_attached_to_a_contact_by_who_reads_customers(
    knowledge: Knowledge, hire: Hire, announce: Announce
) -> None:
    anna, ola = await hire("manager", uuid4()), await hire("manager", uuid4())
    lawyer = await hire("staff", None, uuid4())
    olas = await announce(contact_created(ola.user_id))
    await announce(customer_access_changed("group"))

    def upload(who: Any) -> Any:
        files = {"file": ("notatka.pdf", pdf(["Notatka"]))}
        return knowledge.call(who, "POST", "/api/documents", files=files, data={"contact_id": olas})

    assert refused_on(await upload(anna)) == refused_on(await upload(lawyer)) == {"contact_id"}
    assert (await upload(ola)).status_code == 201


async def test_a_deal_announced_reaches_every_replica_of_records_knowledge_keeps(
    knowledge: Knowledge, hire: Hire, bus: InProcessBus
) -> None:
    """Links, requests and the feed each keep their own replica of deals and companies: one
    event is applied to all of them, none taking the others' place."""
    owner = await hire("manager", await add_group(bus))
    company, deal = await announce_deal(bus, owner)

    async with knowledge.sessions() as session:
        found = {
            table: await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE id = ANY(:ids)"), {"ids": [company, deal]}
            )
            for table in ("linked_record", "deal_ref", "company_ref", "record")
        }
    assert found == {"linked_record": 2, "deal_ref": 1, "company_ref": 1, "record": 2}
