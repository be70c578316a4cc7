"""An outcome report from the calendar reaches the deal over real Kafka and opens a gated stage."""

from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from services.deals.app import create_app as create_deals
from services.deals.settings import DealsSettings
from shared.contracts.calendar import ACTIVITY_TOPIC, ActivityCompleted
from shared.events import new_event
from shared.testing.apps import identity_headers, running
from shared.testing.kafka import KafkaBroker
from shared.testing.waiting import eventually

pytestmark = pytest.mark.kafka


async def test_an_outcome_report_reaches_the_deal_and_company_timelines_and_satisfies_the_stage(
    kafka: KafkaBroker, new_database: Any, settings_for: Any
) -> None:
    settings = DealsSettings(**settings_for(await new_database("deals"), kafka.bootstrap_servers))
    async with running(create_deals(settings)) as deals:
        deals.headers.update(identity_headers())
        [pipeline] = (await deals.get("/api/pipelines")).json()
        negotiation = next(s for s in pipeline["stages"] if s["name"] == "Negotiation")
        await deals.put(
            f"/api/pipelines/{pipeline['id']}/stages/{negotiation['id']}/requirements",
            json={"completed_activity": True},
        )
        company = (await deals.post("/api/companies", json={"name": "Stocznia Gdańsk"})).json()
        deal = (
            await deals.post(
                "/api/deals", json={"title": "Dźwig", "company_id": company["id"], "amount": "10"}
            )
        ).json()
        await deals.patch(f"/api/deals/{deal['id']}", json={"amount": "20"})
        refused = await deals.patch(
            f"/api/deals/{deal['id']}", json={"stage_id": negotiation["id"]}
        )
        assert refused.json()["detail"][0]["type"] == "completed_activity_required"

        report = ActivityCompleted(
            activity_id=uuid4(),
            kind="call",
            title="Telefon do klienta",
            owner_id=uuid4(),
            deal_id=deal["id"],
            result="completed",
            note="Zgoda na negocjacje.",
            completed_at="2026-11-27T09:30:00Z",
        )
        await publish(
            kafka, new_event(report, subject=report.activity_id).model_dump_json().encode()
        )

        async def on_timelines() -> bool:
            deal_entries = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
            company_entries = (await deals.get(f"/api/companies/{company['id']}/timeline")).json()
            return any(e["kind"] == "outcome" for e in deal_entries) and any(
                e["kind"] == "outcome" for e in company_entries
            )

        await eventually(on_timelines, timeout=30, interval=0.2)
        moved = await deals.patch(f"/api/deals/{deal['id']}", json={"stage_id": negotiation["id"]})
        assert moved.status_code == 200, moved.text
        entries = (await deals.get(f"/api/deals/{deal['id']}/timeline")).json()
        changes = [
            (e["kind"], e["data"].get("field"), e["data"].get("old"), e["data"].get("new"))
            for e in entries
        ]
        assert ("field_changed", "amount", "10.00", "20.00") in changes
        stage_change = next(e for e in entries if e["kind"] == "stage_changed")
        assert (stage_change["data"]["from"], stage_change["data"]["to"]) == (
            "Qualification",
            "Negotiation",
        )


async def publish(kafka: KafkaBroker, body: bytes) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers, **kafka.client_options(), acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait(ACTIVITY_TOPIC, body, key=b"activity")
    finally:
        await producer.stop()
