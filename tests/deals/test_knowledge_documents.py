"""A document from the knowledge base attached to a deal counts as the deal's document for its
stage requirements, shows on the timelines, and stops counting when archived."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx

from shared.bus import InProcessBus
from shared.contracts.knowledge import DocumentArchived, DocumentLinked
from shared.testing.people import as_message
from tests.deals.conftest import company, pipeline, stage


def linked(deal_id: str, document_id: UUID, target: str = "deal") -> DocumentLinked:
    return DocumentLinked(
        document_id=document_id,
        title="Oferta handlowa",
        target=target,
        target_id=UUID(deal_id),
        linked_by=uuid4(),
        linked_at=datetime.now(UTC),
        url=f"/knowledge/documents/{document_id}",
    )


def archived(document_id: UUID) -> DocumentArchived:
    return DocumentArchived(
        document_id=document_id,
        folder_id=None,
        kind="file",
        title="Oferta handlowa",
        owner_id=uuid4(),
        version=1,
        media_type="application/pdf",
        file_name="oferta.pdf",
        size=10,
        sha256="0" * 64,
        url=f"/knowledge/documents/{document_id}",
    )


async def test_an_attached_offer_opens_the_stage_and_archiving_it_closes_it_again(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    default = await pipeline(deals)
    offer_sent = stage(default, "Commercial offer sent")
    client = await company(deals)
    body = {"title": "Dźwig", "company_id": client, "amount": "1000"}
    deal = (await deals.post("/api/deals", json=body)).json()
    move = {"stage_id": offer_sent["id"]}
    document = uuid4()

    refused = await deals.get(f"/api/deals/{deal['id']}/requirements", params=move)
    await bus.publish([as_message(linked(deal["id"], document), document)] * 2)  # redelivered
    ready = await deals.get(f"/api/deals/{deal['id']}/requirements", params=move)
    timeline = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
    company_timeline = (await deals.get(f"/api/companies/{client}/timeline")).json()
    await bus.publish([as_message(archived(document), document)])
    again = await deals.get(f"/api/deals/{deal['id']}/requirements", params=move)

    assert [u["code"] for u in refused.json()["unmet"]] == ["document_required"]
    assert ready.json()["ready"] is True
    added = [e for e in timeline if e["kind"] == "document_added"]
    assert [e["data"] for e in added] == [
        {"title": "Oferta handlowa", "url": f"/knowledge/documents/{document}"}
    ]
    assert any(e["kind"] == "document_added" for e in company_timeline)
    assert [u["code"] for u in again.json()["unmet"]] == ["document_required"]


async def test_a_document_attached_to_an_unknown_deal_changes_nothing(
    deals: httpx.AsyncClient, bus: InProcessBus
) -> None:
    document = uuid4()
    await bus.publish([as_message(linked(str(uuid4()), document), document)])

    assert bus.dead_letters == []
