"""A deal won in deals becomes an automatic post of the feed in knowledge over real Kafka, once,
even when the event is delivered twice."""

from typing import Any
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from services.knowledge.app import create_app as create_knowledge
from services.knowledge.settings import KnowledgeSettings
from shared.testing.apps import identity_headers, running
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually
from tests.flows.test_actuals_flow import redeliver_deal_events

pytestmark = pytest.mark.kafka


def _duplicates() -> float:
    """Won-deal events knowledge dropped as already applied."""
    sample = REGISTRY.get_sample_value(
        "crm_events_duplicate_total", {"consumer": "knowledge", "type": "crm.deal.won.v1"}
    )
    return sample or 0


async def test_a_deal_won_is_posted_once_however_often_delivered(
    service_database: Any, settings_for: Any, kafka: KafkaBroker
) -> None:
    servers = kafka.bootstrap_servers
    deals_settings = DealsSettings(**settings_for(await service_database("deals"), servers))
    knowledge_settings = KnowledgeSettings(
        **settings_for(await service_database("knowledge"), servers)
    )
    async with (
        running(create_deals(deals_settings)) as deals,
        running(create_knowledge(knowledge_settings)) as knowledge,
    ):
        for client in (deals, knowledge):
            client.headers.update(identity_headers())
        company = (await deals.post("/api/companies", json={"name": "Huta Łabędy"})).json()
        [pipeline] = (await deals.get("/api/pipelines")).json()
        won = next(stage for stage in pipeline["stages"] if stage["kind"] == "won")
        title = f"Dostawa stali {uuid4().hex[:8]}"  # the topics hold other tests' deals too
        body = {"title": title, "company_id": company["id"]}
        deal = (await deals.post("/api/deals", json=body)).json()
        moved = await deals.patch(
            f"/api/deals/{deal['id']}",
            json={"stage_id": won["id"], "amount": "250000", "expected_close_date": "2099-12-15"},
        )
        assert moved.status_code == 200, moved.text

        async def posted() -> list[dict[str, Any]]:
            items = (await knowledge.get("/api/feed")).json()["items"]
            return [item for item in items if item["kind"] == "deal_won" and title in item["text"]]

        [post] = await eventually(posted, timeout=30, interval=0.2)
        duplicates = _duplicates()
        await redeliver_deal_events(kafka, deal["id"])
        await eventually(lambda: _duplicates() > duplicates, timeout=30, interval=0.2)
        again = await posted()

    assert [p["id"] for p in again] == [post["id"]]
    assert "Huta Łabędy" in post["text"]
    assert "PLN250,000.00" in post["text"].replace("\xa0", "")  # the company's language: English
